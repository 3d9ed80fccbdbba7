/** SQL pieces the bucket table's readers share (the table itself: migrations.ts). */

/** The group key columns, in key order. */
export const KEY_COLUMNS = ["k0", "k1", "k2", "k3"] as const;

/**
 * Aggregate columns that read many buckets' states as one BLOB: their lengths (a JSON
 * array) and their bytes back to back, followed by their checksums (the `crc` column, 4
 * bytes each, in the same order). better-sqlite3 copies every BLOB it returns into a
 * Buffer of its own, which costs more than reading it; packed, a read costs one copy (the
 * checksums ride in the same BLOB for that reason).
 * Concatenating BLOBs through group_concat keeps their bytes: the store is UTF-8, so
 * SQLite reinterprets them as text without transcoding, and CAST back to BLOB is exact.
 * Aggregates of one query step through the same rows in the same order, so the lengths
 * line up with any other json_group_array beside them.
 */
export const PACKED_STATES = "json_group_array(length(state)), CAST(group_concat(state, '') || group_concat(crc, '') AS BLOB)";
