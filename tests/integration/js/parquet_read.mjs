// Reads a Parquet file with hyparquet (an independent, pure-JS reader) and
// prints {"metadata": {...}, "rows": [...]} as JSON on stdout, for the
// integration suite's checks of Spate's Parquet writer.
//   node parquet_read.mjs FILE
// Values: BigInt (INT64) as a string; INT96 timestamps as nanoseconds since
// the epoch (string); DATE as days since the epoch; DECIMAL as hyparquet's
// number; strings and booleans as they are.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const file = await asyncBufferFromFile(process.argv[2])
const metadata = await parquetMetadataAsync(file)
const rows = await parquetReadObjects({
  file,
  compressors: { GZIP: compressors.GZIP }, // SNAPPY: hyparquet's own decoder
  parsers: {
    timestampFromNanoseconds: (n) => n.toString(),
    dateFromDays: (d) => d,
  },
})
const replacer = (_k, v) => (typeof v === 'bigint' ? v.toString() : v)
const meta = {
  num_rows: Number(metadata.num_rows),
  created_by: metadata.created_by,
  schema: metadata.schema.map((e) => ({
    name: e.name, type: e.type, converted_type: e.converted_type, logical_type: e.logical_type,
    repetition_type: e.repetition_type, type_length: e.type_length, precision: e.precision, scale: e.scale,
  })),
  row_groups: metadata.row_groups.map((rg) => ({
    num_rows: Number(rg.num_rows),
    columns: rg.columns.map((c) => ({
      codec: c.meta_data.codec,
      num_values: Number(c.meta_data.num_values),
      null_count: c.meta_data.statistics?.null_count === undefined ? null : Number(c.meta_data.statistics.null_count),
      min_value: c.meta_data.statistics?.min_value,
      max_value: c.meta_data.statistics?.max_value,
    })),
  })),
}
process.stdout.write(JSON.stringify({ metadata: meta, rows }, replacer))
