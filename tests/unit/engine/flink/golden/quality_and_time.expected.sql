SET 'table.local-time-zone' = 'UTC';

-- source events (files): one row per raw JSON record
CREATE TEMPORARY TABLE `src_events` (
  `__lg_payload_bytes` BYTES,
  `payload` AS CAST(`__lg_payload_bytes` AS STRING),
  `__lg_payload_utf8` AS CAST(CAST(`__lg_payload_bytes` AS STRING) AS BYTES) = `__lg_payload_bytes`,
  `__lg_file_path` STRING NOT NULL METADATA FROM 'file.path' VIRTUAL,
  `__lg_stream` AS `__lg_file_path`,
  `__lg_index` AS CAST(NULL AS BIGINT),
  `__lg_meta_file` AS `__lg_file_path`
) WITH (
  'connector' = 'filesystem',
  'path' = '/data/flink/events',
  'format' = 'raw'
);

-- decode events: JSON → schema event v1;
-- a record that cannot be decoded has a reason in __lg_decode_error (DLQ stage decode)
CREATE TEMPORARY VIEW `events_decoded` AS
SELECT
  CAST(CASE
    WHEN REGEXP(
      CASE
        WHEN SUBSTRING(`__j0`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
        THEN SUBSTRING(`__j0`, 2, CHAR_LENGTH(`__j0`) - 2)
        WHEN SUBSTRING(`__j0`, 2, 1) = '"'
        THEN JSON_VALUE(`__j0`, '$[0]')
      END,
      '^-?[0-9]+$'
    )
    THEN TRY_CAST(CASE
      WHEN SUBSTRING(`__j0`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      THEN SUBSTRING(`__j0`, 2, CHAR_LENGTH(`__j0`) - 2)
      WHEN SUBSTRING(`__j0`, 2, 1) = '"'
      THEN JSON_VALUE(`__j0`, '$[0]')
    END AS BIGINT)
  END AS BIGINT) AS `id`,
  CAST(CASE
    WHEN SUBSTRING(`__j1`, 2, 1) = '"'
    THEN JSON_VALUE(`__j1`, '$[0]')
    ELSE SUBSTRING(`__j1`, 2, CHAR_LENGTH(`__j1`) - 2)
  END AS STRING) AS `email`,
  CAST(CASE
    WHEN SUBSTRING(`__j2`, 2, 1) = '"'
    THEN JSON_VALUE(`__j2`, '$[0]')
    ELSE SUBSTRING(`__j2`, 2, CHAR_LENGTH(`__j2`) - 2)
  END AS STRING) AS `price`,
  CAST(CASE
    WHEN REGEXP(
      CASE
        WHEN SUBSTRING(`__j3`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
        THEN SUBSTRING(`__j3`, 2, CHAR_LENGTH(`__j3`) - 2)
        WHEN SUBSTRING(`__j3`, 2, 1) = '"'
        THEN JSON_VALUE(`__j3`, '$[0]')
      END,
      '^-?[0-9]+$'
    )
    THEN TRY_CAST(CASE
      WHEN SUBSTRING(`__j3`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
      THEN SUBSTRING(`__j3`, 2, CHAR_LENGTH(`__j3`) - 2)
      WHEN SUBSTRING(`__j3`, 2, 1) = '"'
      THEN JSON_VALUE(`__j3`, '$[0]')
    END AS BIGINT)
  END AS BIGINT) AS `ts`,
  CAST(CASE
    WHEN `__j4` IS NULL
    THEN CAST('ZZ' AS STRING)
    ELSE CASE
      WHEN SUBSTRING(`__j4`, 2, 1) = '"'
      THEN JSON_VALUE(`__j4`, '$[0]')
      ELSE SUBSTRING(`__j4`, 2, CHAR_LENGTH(`__j4`) - 2)
    END
  END AS STRING) AS `country`,
  CAST(CASE
    WHEN SUBSTRING(`__j5`, 2, 1) = '{'
    THEN CAST(ROW(
      CASE
        WHEN SUBSTRING(JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER), 2, 1) = '"'
        THEN JSON_VALUE(`payload`, '$.device.os')
        ELSE SUBSTRING(
          JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER),
          2,
          CHAR_LENGTH(JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER)) - 2
        )
      END
    ) AS ROW<`os` STRING>)
  END AS ROW<`os` STRING>) AS `device`,
  `payload`,
  `__lg_stream`,
  `__lg_index`,
  `__lg_meta_file`,
  CASE
    WHEN NOT `__lg_payload_utf8`
    THEN 'malformed JSON'
    WHEN NOT `payload` IS JSON OBJECT
    THEN CASE WHEN `payload` IS JSON THEN 'not a JSON object' ELSE 'malformed JSON' END
    WHEN `__j0` IS NULL
    THEN 'missing required field id'
    WHEN NOT `__j0` IS NULL
    AND (
      CASE
        WHEN REGEXP(
          CASE
            WHEN SUBSTRING(`__j0`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN SUBSTRING(`__j0`, 2, CHAR_LENGTH(`__j0`) - 2)
            WHEN SUBSTRING(`__j0`, 2, 1) = '"'
            THEN JSON_VALUE(`__j0`, '$[0]')
          END,
          '^-?[0-9]+$'
        )
        THEN TRY_CAST(CASE
          WHEN SUBSTRING(`__j0`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
          THEN SUBSTRING(`__j0`, 2, CHAR_LENGTH(`__j0`) - 2)
          WHEN SUBSTRING(`__j0`, 2, 1) = '"'
          THEN JSON_VALUE(`__j0`, '$[0]')
        END AS BIGINT)
      END
    ) IS NULL
    THEN 'field id: expected long, got ' || LEFT(SUBSTRING(`__j0`, 2, CHAR_LENGTH(`__j0`) - 2), 200)
    WHEN NOT `__j1` IS NULL
    AND (
      CASE
        WHEN SUBSTRING(`__j1`, 2, 1) = '"'
        THEN JSON_VALUE(`__j1`, '$[0]')
        ELSE SUBSTRING(`__j1`, 2, CHAR_LENGTH(`__j1`) - 2)
      END
    ) IS NULL
    THEN 'field email: expected string, got ' || LEFT(SUBSTRING(`__j1`, 2, CHAR_LENGTH(`__j1`) - 2), 200)
    WHEN NOT `__j2` IS NULL
    AND (
      CASE
        WHEN SUBSTRING(`__j2`, 2, 1) = '"'
        THEN JSON_VALUE(`__j2`, '$[0]')
        ELSE SUBSTRING(`__j2`, 2, CHAR_LENGTH(`__j2`) - 2)
      END
    ) IS NULL
    THEN 'field price: expected string, got ' || LEFT(SUBSTRING(`__j2`, 2, CHAR_LENGTH(`__j2`) - 2), 200)
    WHEN NOT `__j3` IS NULL
    AND (
      CASE
        WHEN REGEXP(
          CASE
            WHEN SUBSTRING(`__j3`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN SUBSTRING(`__j3`, 2, CHAR_LENGTH(`__j3`) - 2)
            WHEN SUBSTRING(`__j3`, 2, 1) = '"'
            THEN JSON_VALUE(`__j3`, '$[0]')
          END,
          '^-?[0-9]+$'
        )
        THEN TRY_CAST(CASE
          WHEN SUBSTRING(`__j3`, 2, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
          THEN SUBSTRING(`__j3`, 2, CHAR_LENGTH(`__j3`) - 2)
          WHEN SUBSTRING(`__j3`, 2, 1) = '"'
          THEN JSON_VALUE(`__j3`, '$[0]')
        END AS BIGINT)
      END
    ) IS NULL
    THEN 'field ts: expected long, got ' || LEFT(SUBSTRING(`__j3`, 2, CHAR_LENGTH(`__j3`) - 2), 200)
    WHEN NOT `__j4` IS NULL
    AND (
      CASE
        WHEN SUBSTRING(`__j4`, 2, 1) = '"'
        THEN JSON_VALUE(`__j4`, '$[0]')
        ELSE SUBSTRING(`__j4`, 2, CHAR_LENGTH(`__j4`) - 2)
      END
    ) IS NULL
    THEN 'field country: expected string, got ' || LEFT(SUBSTRING(`__j4`, 2, CHAR_LENGTH(`__j4`) - 2), 200)
    WHEN NOT `__j5` IS NULL
    AND (
      NOT SUBSTRING(`__j5`, 2, 1) = '{'
      OR (
        (
          NOT JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER) IS NULL
          AND (
            CASE
              WHEN SUBSTRING(JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER), 2, 1) = '"'
              THEN JSON_VALUE(`payload`, '$.device.os')
              ELSE SUBSTRING(
                JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER),
                2,
                CHAR_LENGTH(JSON_QUERY(`payload`, '$.device.os' WITH ARRAY WRAPPER)) - 2
              )
            END
          ) IS NULL
        )
      )
    )
    THEN 'field device: expected struct<os: string>, got ' || LEFT(SUBSTRING(`__j5`, 2, CHAR_LENGTH(`__j5`) - 2), 200)
  END AS `__lg_decode_error`
FROM (
  SELECT
    `payload`,
    `__lg_payload_utf8`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_meta_file`,
    CASE WHEN RAND() < 2 THEN JSON_QUERY(`payload`, '$.id' WITH ARRAY WRAPPER) END AS `__j0`,
    CASE WHEN RAND() < 2 THEN JSON_QUERY(`payload`, '$.email' WITH ARRAY WRAPPER) END AS `__j1`,
    CASE WHEN RAND() < 2 THEN JSON_QUERY(`payload`, '$.price' WITH ARRAY WRAPPER) END AS `__j2`,
    CASE WHEN RAND() < 2 THEN JSON_QUERY(`payload`, '$.ts' WITH ARRAY WRAPPER) END AS `__j3`,
    CASE WHEN RAND() < 2 THEN JSON_QUERY(`payload`, '$.country' WITH ARRAY WRAPPER) END AS `__j4`,
    CASE WHEN RAND() < 2 THEN JSON_QUERY(`payload`, '$.device' WITH ARRAY WRAPPER) END AS `__j5`
  FROM (
    SELECT
      CASE WHEN RAND() < 2 THEN `payload` END AS `payload`,
      `__lg_payload_utf8`,
      `__lg_stream`,
      `__lg_index`,
      `__lg_meta_file`
    FROM `src_events`
  ) AS `__raw`
) AS `__fields`;

-- transform clean: the decoded records of source events, with empty bookkeeping
CREATE TEMPORARY VIEW `clean_input` AS
SELECT
  `id`,
  `email`,
  `price`,
  `ts`,
  `country`,
  `device`,
  `__lg_stream` AS `__lg_stream`,
  `__lg_index` AS `__lg_index`,
  `__lg_index` AS `__lg_row`,
  CAST(NULL AS STRING) AS `__lg_dlq_stage`,
  CAST(NULL AS STRING) AS `__lg_dlq_rule`,
  CAST(NULL AS STRING) AS `__lg_dlq_reason`,
  FALSE AS `__lg_filtered`,
  CAST(NULL AS STRING) AS `__lg_route`,
  `__lg_meta_file` AS `__lg_meta_file`,
  `payload` AS `__lg_payload`
FROM `events_decoded`
WHERE `__lg_decode_error` IS NULL;

-- transform clean: rules trim_1, lower_2, price_to_decimal, parse_timestamp_4, format_timestamp_5, quality, regex_extract_7, hash_8, flatten_9, filter_10, route_11
CREATE TEMPORARY VIEW `clean_rules` AS
WITH
-- rule trim_1 (trim)
`s1_trim_1` AS (
  SELECT
    `id` AS `id`,
    CASE
      WHEN RAND() < 2
      THEN REGEXP_REPLACE(`email`, '^[\t-\r\x{85}\p{Z}]+|[\t-\r\x{85}\p{Z}]+$', '')
    END AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `clean_input`
),
-- rule lower_2 (lower)
`s2_lower_2` AS (
  SELECT
    `id` AS `id`,
    CASE
      WHEN RAND() < 2
      THEN CASE
        WHEN REGEXP(`email`, '[İΣⰯꟀꟐꟖꟘ𐕰𐕱𐕲𐕳𐕴𐕵𐕶𐕷𐕸𐕹𐕺𐕼𐕽𐕾𐕿𐖀𐖁𐖂𐖃𐖄𐖅𐖆𐖇𐖈𐖉𐖊𐖌𐖍𐖎𐖏𐖐𐖑𐖒𐖔𐖕]')
        THEN TRANSLATE3(
          LOWER(
            TRANSLATE3(
              `email`,
              'İΣⰯꟀꟐꟖꟘ𐕰𐕱𐕲𐕳𐕴𐕵𐕶𐕷𐕸𐕹𐕺𐕼𐕽𐕾𐕿𐖀𐖁𐖂𐖃𐖄𐖅𐖆𐖇𐖈𐖉𐖊𐖌𐖍𐖎𐖏𐖐𐖑𐖒𐖔𐖕',
              '􏼀􏼁􏼂􏼃􏼄􏼅􏼆􏼇􏼈􏼉􏼊􏼋􏼌􏼍􏼎􏼏􏼐􏼑􏼒􏼓􏼔􏼕􏼖􏼗􏼘􏼙􏼚􏼛􏼜􏼝􏼞􏼟􏼠􏼡􏼢􏼣􏼤􏼥􏼦􏼧􏼨􏼩'
            )
          ),
          '􏼀􏼁􏼂􏼃􏼄􏼅􏼆􏼇􏼈􏼉􏼊􏼋􏼌􏼍􏼎􏼏􏼐􏼑􏼒􏼓􏼔􏼕􏼖􏼗􏼘􏼙􏼚􏼛􏼜􏼝􏼞􏼟􏼠􏼡􏼢􏼣􏼤􏼥􏼦􏼧􏼨􏼩',
          'iσⱟꟁꟑꟗꟙ𐖗𐖘𐖙𐖚𐖛𐖜𐖝𐖞𐖟𐖠𐖡𐖣𐖤𐖥𐖦𐖧𐖨𐖩𐖪𐖫𐖬𐖭𐖮𐖯𐖰𐖱𐖳𐖴𐖵𐖶𐖷𐖸𐖹𐖻𐖼'
        )
        ELSE LOWER(`email`)
      END
    END AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s1_trim_1`
),
-- rule price_to_decimal (cast)
`s3_price_to_decimal` AS (
  SELECT
    `id`,
    `email`,
    `price`,
    `ts`,
    `country`,
    `device`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    CASE `__lg_check` WHEN 1 THEN 'convert' ELSE `__lg_dlq_stage` END AS `__lg_dlq_stage`,
    CASE `__lg_check` WHEN 1 THEN 'price_to_decimal' ELSE `__lg_dlq_rule` END AS `__lg_dlq_rule`,
    CASE `__lg_check`
      WHEN 1
      THEN 'cannot cast price to decimal(10,2): ' || COALESCE(`price`, '?')
      ELSE `__lg_dlq_reason`
    END AS `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM (
    SELECT
      `id`,
      `email`,
      `price`,
      `ts`,
      `country`,
      `device`,
      `__lg_stream`,
      `__lg_index`,
      `__lg_row`,
      `__lg_dlq_stage`,
      `__lg_dlq_rule`,
      `__lg_dlq_reason`,
      `__lg_filtered`,
      `__lg_route`,
      `__lg_meta_file`,
      `__lg_payload`,
      CASE
        WHEN RAND() < 2
        THEN CASE
          WHEN (
            `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered`
          )
          AND COALESCE(
            (
              NOT `price` IS NULL
              AND CASE
                WHEN REGEXP(`price`, '^ *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *$')
                THEN TRY_CAST(TRIM(`price`) AS DECIMAL(10, 2))
              END IS NULL
            ),
            FALSE
          )
          THEN 1
        END
      END AS `__lg_check`
    FROM `s2_lower_2`
  ) AS `__lg_check`
),
-- rule price_to_decimal (cast)
`s4_price_to_decimal` AS (
  SELECT
    `id` AS `id`,
    `email` AS `email`,
    CASE
      WHEN RAND() < 2
      THEN CASE
        WHEN REGEXP(`price`, '^ *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *$')
        THEN TRY_CAST(TRIM(`price`) AS DECIMAL(10, 2))
      END
    END AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s3_price_to_decimal`
),
-- rule parse_timestamp_4 (parse_timestamp)
`s5_parse_timestamp_4` AS (
  SELECT
    `id`,
    `email`,
    `price`,
    `ts`,
    `country`,
    `device`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    CASE `__lg_check` WHEN 1 THEN 'convert' ELSE `__lg_dlq_stage` END AS `__lg_dlq_stage`,
    CASE `__lg_check` WHEN 1 THEN 'parse_timestamp_4' ELSE `__lg_dlq_rule` END AS `__lg_dlq_rule`,
    CASE `__lg_check`
      WHEN 1
      THEN 'cannot parse ts as epoch_ms: ' || COALESCE(CAST(`ts` AS STRING), '?')
      ELSE `__lg_dlq_reason`
    END AS `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM (
    SELECT
      `id`,
      `email`,
      `price`,
      `ts`,
      `country`,
      `device`,
      `__lg_stream`,
      `__lg_index`,
      `__lg_row`,
      `__lg_dlq_stage`,
      `__lg_dlq_rule`,
      `__lg_dlq_reason`,
      `__lg_filtered`,
      `__lg_route`,
      `__lg_meta_file`,
      `__lg_payload`,
      CASE
        WHEN RAND() < 2
        THEN CASE
          WHEN (
            `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered`
          )
          AND COALESCE(
            (
              NOT `ts` IS NULL
              AND CAST(CAST(CAST(CAST(DATE_FORMAT(
                TO_TIMESTAMP_LTZ(
                  CAST((
                    CAST((
                      `ts`
                    ) * 1000 AS BIGINT) - MOD(MOD(CAST((
                      `ts`
                    ) * 1000 AS BIGINT), 1000000) + 1000000, 1000000)
                  ) / 1000000 AS BIGINT),
                  0
                ),
                'yyyy-MM-dd HH:mm:ss'
              ) || '.' || LPAD(
                CAST(MOD(MOD(CAST((
                  `ts`
                ) * 1000 AS BIGINT), 1000000) + 1000000, 1000000) AS STRING),
                6,
                '0'
              ) AS TIMESTAMP(6)) AS TIMESTAMP_LTZ(6)) AS TIMESTAMP(6)) AS TIMESTAMP_LTZ(6)) IS NULL
            ),
            FALSE
          )
          THEN 1
        END
      END AS `__lg_check`
    FROM `s4_price_to_decimal`
  ) AS `__lg_check`
),
-- rule parse_timestamp_4 (parse_timestamp)
`s6_parse_timestamp_4` AS (
  SELECT
    `id` AS `id`,
    `email` AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    CASE
      WHEN RAND() < 2
      THEN CAST(CAST(CAST(CAST(DATE_FORMAT(
        TO_TIMESTAMP_LTZ(
          CAST((
            CAST((
              `ts`
            ) * 1000 AS BIGINT) - MOD(MOD(CAST((
              `ts`
            ) * 1000 AS BIGINT), 1000000) + 1000000, 1000000)
          ) / 1000000 AS BIGINT),
          0
        ),
        'yyyy-MM-dd HH:mm:ss'
      ) || '.' || LPAD(
        CAST(MOD(MOD(CAST((
          `ts`
        ) * 1000 AS BIGINT), 1000000) + 1000000, 1000000) AS STRING),
        6,
        '0'
      ) AS TIMESTAMP(6)) AS TIMESTAMP_LTZ(6)) AS TIMESTAMP(6)) AS TIMESTAMP_LTZ(6))
    END AS `event_time`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s5_parse_timestamp_4`
),
-- rule format_timestamp_5 (format_timestamp)
`s7_format_timestamp_5` AS (
  SELECT
    `id` AS `id`,
    `email` AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    `event_time` AS `event_time`,
    CASE
      WHEN RAND() < 2
      THEN DATE_FORMAT(
        TIMESTAMPADD(
          SECOND,
          TIMESTAMPDIFF(
            SECOND,
            TO_TIMESTAMP(DATE_FORMAT(CAST(`event_time` AS TIMESTAMP(6)), 'yyyy-MM-dd HH:mm:ss')),
            TO_TIMESTAMP(
              CONVERT_TZ(
                DATE_FORMAT(CAST(`event_time` AS TIMESTAMP(6)), 'yyyy-MM-dd HH:mm:ss'),
                'UTC',
                'Europe/Berlin'
              )
            )
          ),
          CAST(`event_time` AS TIMESTAMP(6))
        ),
        'yyyy-MM-dd HH:mm '
      ) || CASE
        WHEN TIMESTAMPDIFF(
          SECOND,
          TO_TIMESTAMP(DATE_FORMAT(CAST(`event_time` AS TIMESTAMP(6)), 'yyyy-MM-dd HH:mm:ss')),
          TO_TIMESTAMP(
            CONVERT_TZ(
              DATE_FORMAT(CAST(`event_time` AS TIMESTAMP(6)), 'yyyy-MM-dd HH:mm:ss'),
              'UTC',
              'Europe/Berlin'
            )
          )
        ) / 60 < 0
        THEN '-'
        ELSE '+'
      END || DATE_FORMAT(
        TIMESTAMPADD(
          MINUTE,
          ABS(
            TIMESTAMPDIFF(
              SECOND,
              TO_TIMESTAMP(DATE_FORMAT(CAST(`event_time` AS TIMESTAMP(6)), 'yyyy-MM-dd HH:mm:ss')),
              TO_TIMESTAMP(
                CONVERT_TZ(
                  DATE_FORMAT(CAST(`event_time` AS TIMESTAMP(6)), 'yyyy-MM-dd HH:mm:ss'),
                  'UTC',
                  'Europe/Berlin'
                )
              )
            ) / 60
          ),
          CAST('2000-01-01 00:00:00' AS TIMESTAMP(6))
        ),
        'HHmm'
      )
    END AS `local`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s6_parse_timestamp_4`
),
-- rule quality (validate)
`s8_quality` AS (
  SELECT
    `id`,
    `email`,
    `price`,
    `ts`,
    `country`,
    `device`,
    `event_time`,
    `local`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    CASE `__lg_check`
      WHEN 1
      THEN 'validate'
      WHEN 2
      THEN 'validate'
      ELSE `__lg_dlq_stage`
    END AS `__lg_dlq_stage`,
    CASE `__lg_check` WHEN 1 THEN 'quality' WHEN 2 THEN 'quality' ELSE `__lg_dlq_rule` END AS `__lg_dlq_rule`,
    CASE `__lg_check`
      WHEN 1
      THEN 'check known_country failed'
      WHEN 2
      THEN 'check recent failed'
      ELSE `__lg_dlq_reason`
    END AS `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM (
    SELECT
      `id`,
      `email`,
      `price`,
      `ts`,
      `country`,
      `device`,
      `event_time`,
      `local`,
      `__lg_stream`,
      `__lg_index`,
      `__lg_row`,
      `__lg_dlq_stage`,
      `__lg_dlq_rule`,
      `__lg_dlq_reason`,
      `__lg_filtered`,
      `__lg_route`,
      `__lg_meta_file`,
      `__lg_payload`,
      CASE
        WHEN RAND() < 2
        THEN CASE
          WHEN (
            `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered`
          )
          AND COALESCE(
            (
              NOT `country` IS NULL
              AND NOT `country` IN (CAST('DE' AS STRING), CAST('FR' AS STRING), CAST('ZZ' AS STRING))
            ),
            FALSE
          )
          THEN 1
          WHEN (
            `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered`
          )
          AND COALESCE(
            (
              NOT `event_time` IS NULL
              AND (
                `event_time` < CAST(CAST('2020-01-01 00:00:00.000000' AS TIMESTAMP(6)) AS TIMESTAMP_LTZ(6))
              )
            ),
            FALSE
          )
          THEN 2
        END
      END AS `__lg_check`
    FROM `s7_format_timestamp_5`
  ) AS `__lg_check`
),
-- rule regex_extract_7 (regex_extract)
`s9_regex_extract_7` AS (
  SELECT
    `id` AS `id`,
    `email` AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    `event_time` AS `event_time`,
    `local` AS `local`,
    CASE
      WHEN RAND() < 2
      THEN CASE
        WHEN REGEXP(`email`, '@(.+)$')
        THEN CASE
          WHEN NOT `email` IS NULL
          THEN COALESCE(REGEXP_EXTRACT(`email`, '@(.+)$', 1), '')
        END
      END
    END AS `domain`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s8_quality`
),
-- rule hash_8 (hash)
`s10_hash_8` AS (
  SELECT
    `id` AS `id`,
    CASE WHEN RAND() < 2 THEN SHA256('${secret:GOLDEN_SALT}' || `email`) END AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    `device` AS `device`,
    `event_time` AS `event_time`,
    `local` AS `local`,
    `domain` AS `domain`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s9_regex_extract_7`
),
-- rule flatten_9 (flatten)
`s11_flatten_9` AS (
  SELECT
    `id` AS `id`,
    `email` AS `email`,
    `price` AS `price`,
    `ts` AS `ts`,
    `country` AS `country`,
    CASE WHEN RAND() < 2 THEN `device`.`os` END AS `device_os`,
    `event_time` AS `event_time`,
    `local` AS `local`,
    `domain` AS `domain`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s10_hash_8`
),
-- rule filter_10 (filter)
`s12_filter_10` AS (
  SELECT
    `id`,
    `email`,
    `price`,
    `ts`,
    `country`,
    `device_os`,
    `event_time`,
    `local`,
    `domain`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`
    OR (
      (
        `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered`
      )
      AND NOT COALESCE((
        `id` > 0
      ), FALSE)
    ) AS `__lg_filtered`,
    `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s11_flatten_9`
),
-- rule route_11 (route)
`s13_route_11` AS (
  SELECT
    `id`,
    `email`,
    `price`,
    `ts`,
    `country`,
    `device_os`,
    `event_time`,
    `local`,
    `domain`,
    `__lg_stream`,
    `__lg_index`,
    `__lg_row`,
    `__lg_dlq_stage`,
    `__lg_dlq_rule`,
    `__lg_dlq_reason`,
    `__lg_filtered`,
    CASE
      WHEN `__lg_route` IS NULL
      AND (
        `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered`
      )
      AND COALESCE((
        `price` >= 1000
      ), FALSE)
      THEN 'large'
      ELSE `__lg_route`
    END AS `__lg_route`,
    `__lg_meta_file`,
    `__lg_payload`
  FROM `s12_filter_10`
)
SELECT *
FROM `s13_route_11`;

CREATE TEMPORARY TABLE `sink_large` (
  `id` BIGINT,
  `email` STRING,
  `price` DECIMAL(10, 2),
  `ts` BIGINT,
  `country` STRING,
  `device_os` STRING,
  `event_time` TIMESTAMP_LTZ(6),
  `local` STRING,
  `domain` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '/data/flink/sink_large',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601',
  'json.encode.decimal-as-plain-number' = 'true'
);

CREATE TEMPORARY TABLE `sink_out` (
  `id` BIGINT,
  `email` STRING,
  `price` DECIMAL(10, 2),
  `ts` BIGINT,
  `country` STRING,
  `device_os` STRING,
  `event_time` TIMESTAMP_LTZ(6),
  `local` STRING,
  `domain` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '/data/flink/sink_out',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601',
  'json.encode.decimal-as-plain-number' = 'true'
);

CREATE TEMPORARY TABLE `dlq` (
  `payload` STRING,
  `stage` STRING,
  `rule` STRING,
  `error` STRING,
  `pipeline` STRING,
  `source` STRING,
  `transform` STRING,
  `stream` STRING,
  `index` BIGINT,
  `failed_at` TIMESTAMP_LTZ(6)
) WITH (
  'connector' = 'filesystem',
  'path' = '/data/flink/dlq',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601',
  'json.encode.decimal-as-plain-number' = 'true'
);

EXECUTE STATEMENT SET BEGIN

-- sink large: rows of clean
INSERT INTO `sink_large`
SELECT
  CAST(`id` AS BIGINT) AS `id`,
  CAST(`email` AS STRING) AS `email`,
  CAST(`price` AS DECIMAL(10, 2)) AS `price`,
  CAST(`ts` AS BIGINT) AS `ts`,
  CAST(`country` AS STRING) AS `country`,
  CAST(`device_os` AS STRING) AS `device_os`,
  CAST(`event_time` AS TIMESTAMP_LTZ(6)) AS `event_time`,
  CAST(`local` AS STRING) AS `local`,
  CAST(`domain` AS STRING) AS `domain`
FROM `clean_rules`
WHERE `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered` AND `__lg_route` = 'large';

-- sink out: rows of clean
INSERT INTO `sink_out`
SELECT
  CAST(`id` AS BIGINT) AS `id`,
  CAST(`email` AS STRING) AS `email`,
  CAST(`price` AS DECIMAL(10, 2)) AS `price`,
  CAST(`ts` AS BIGINT) AS `ts`,
  CAST(`country` AS STRING) AS `country`,
  CAST(`device_os` AS STRING) AS `device_os`,
  CAST(`event_time` AS TIMESTAMP_LTZ(6)) AS `event_time`,
  CAST(`local` AS STRING) AS `local`,
  CAST(`domain` AS STRING) AS `domain`
FROM `clean_rules`
WHERE `__lg_dlq_reason` IS NULL AND NOT `__lg_filtered` AND `__lg_route` IS NULL;

-- dead-letter queue: decode failures, then every transform's rejected rows
INSERT INTO `dlq`
SELECT
  `payload` AS `payload`,
  'decode' AS `stage`,
  CAST(NULL AS STRING) AS `rule`,
  `__lg_decode_error` AS `error`,
  'golden_flink' AS `pipeline`,
  'events' AS `source`,
  CAST(NULL AS STRING) AS `transform`,
  `__lg_stream` AS `stream`,
  `__lg_index` AS `index`,
  CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(6)) AS `failed_at`
FROM `events_decoded`
WHERE `__lg_decode_error` IS NOT NULL
UNION ALL
SELECT
  `__lg_payload` AS `payload`,
  `__lg_dlq_stage` AS `stage`,
  `__lg_dlq_rule` AS `rule`,
  `__lg_dlq_reason` AS `error`,
  'golden_flink' AS `pipeline`,
  'events' AS `source`,
  'clean' AS `transform`,
  `__lg_stream` AS `stream`,
  `__lg_index` AS `index`,
  CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(6)) AS `failed_at`
FROM `clean_rules`
WHERE `__lg_dlq_reason` IS NOT NULL;

END;
