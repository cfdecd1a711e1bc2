/* records.h — byte encoders and decoders of everything storage/ puts in
 * LMDB (internal to storage/, exposed for unit tests and fuzzers).
 *
 * The byte tables, worked examples and version rules are at the top of
 * records.c. Summary of the contract every decoder keeps:
 *   - input is untrusted: any byte string may be passed; nothing asserts,
 *     nothing reads outside `in`, nothing allocates;
 *   - a version byte other than STORE_RECORD_V1 → AUG_EVERSION;
 *   - a short, long (trailing bytes) or garbled record → AUG_ECORRUPT;
 *   - doubles are copied as bit patterns (NaN payloads, -0.0 survive).
 * Encoders take values the caller has validated (store.c does) and cannot
 * fail except where they return aug_err.
 *
 * Keys carry no version byte: their layout is fixed by the schema version
 * stamped in meta ("store.schema"); changing one bumps STORE_SCHEMA_VERSION.
 * The same holds for posting dups (4-byte ids).
 *
 * Thread rules: pure functions.
 */
#ifndef AUG_STORAGE_RECORDS_H
#define AUG_STORAGE_RECORDS_H

#include "storage/store.h"
#include "util/common.h"
#include "util/err.h"

/* Layout version of the whole store (key layouts, DBI set and flags). */
#define STORE_SCHEMA_VERSION 1u
/* Version byte at the start of every record value. */
#define STORE_RECORD_V1 0x01u

/* LMDB's compile-time key limit in Debian's liblmdb (mdb_env_get_maxkeysize).
 * Part of the posting key format: store_open refuses a library with less. */
#define STORE_KEY_MAX 511u
/* ---- canonical label key: name 0xFF value 0xFF ... (see store.h) ---- */

/* True if key is a well-formed canonical label key: at least one label,
 * every name and value non-empty, names strictly ascending (byte order). */
bool store_labels_valid(aug_bytes key);
/* Iterates the labels of a valid key: start with *off = 0; returns false at
 * the end (or at the first malformed field). name/value borrow from key. */
bool store_labels_next(aug_bytes key, size_t *off, aug_str *name, aug_str *value);
/* Finds label `name` in a valid key; false if absent. */
bool store_labels_find(aug_bytes key, aug_str name, aug_str *value);

/* ---- meta record ---- */
#define STORE_META_RECORD_LEN 9u
void store_record_meta_encode(uint64_t v, uint8_t out[STORE_META_RECORD_LEN]);
aug_err store_record_meta_decode(aug_bytes in, uint64_t *v);

/* ---- series record (value of the series DBI) ---- */
/* Writes 1 + key.len bytes. */
void store_record_series_encode(aug_bytes key, uint8_t *out);
/* *key borrows from in. A key that is not a valid canonical key → AUG_ECORRUPT. */
aug_err store_record_series_decode(aug_bytes in, aug_bytes *key);

/* ---- 4- and 8-byte big-endian id / seq keys ---- */
void store_key_u32_encode(uint32_t v, uint8_t out[4]);
aug_err store_key_u32_decode(aug_bytes in, uint32_t *v); /* len != 4 → AUG_ECORRUPT */
void store_key_u64_encode(uint64_t v, uint8_t out[8]);
aug_err store_key_u64_decode(aug_bytes in, uint64_t *v); /* len != 8 → AUG_ECORRUPT */

/* ---- posting key (key of the postings DBI) ---- */
/* Builds the posting key of label name=value into out (STORE_KEY_MAX
 * bytes); *overlong tells whether value was cut (the key then names every
 * value sharing the prefix, and readers filter through the series DBI).
 * Empty name, a name over STORE_LABEL_NAME_MAX or any 0xFF in name/value →
 * AUG_EINVAL. */
aug_err store_record_posting_key_encode(aug_str name, aug_str value, uint8_t out[STORE_KEY_MAX], size_t *len,
                                        bool *overlong);
/* Splits a posting key; value is the whole value, or its prefix when
 * *overlong. Garbled → AUG_ECORRUPT. */
aug_err store_record_posting_key_decode(aug_bytes in, aug_str *name, aug_str *value, bool *overlong);

/* ---- rollup key and record ---- */
#define STORE_ROLLUP_KEY_LEN 13u
#define STORE_ROLLUP_RECORD_MAX 58u
void store_record_rollup_key_encode(uint32_t id, store_res res, int64_t start_s,
                                    uint8_t out[STORE_ROLLUP_KEY_LEN]);
/* Bad length or unknown resolution → AUG_ECORRUPT. */
aug_err store_record_rollup_key_decode(aug_bytes in, uint32_t *id, store_res *res, int64_t *start_s);
/* Encodes r (relative to its bucket start) into out; returns the length
 * (at most STORE_ROLLUP_RECORD_MAX). */
size_t store_record_rollup_encode(const store_rollup *r, int64_t start_s, uint8_t out[STORE_ROLLUP_RECORD_MAX]);
aug_err store_record_rollup_decode(aug_bytes in, int64_t start_s, store_rollup *out);

/* ---- WAL record ---- */
/* Upper bound of the encoded size of n entries; 0 if it overflows size_t. */
size_t store_record_wal_bound(size_t n);
/* Encodes n entries into out (capacity cap >= store_record_wal_bound(n));
 * *len receives the size. An entry with id 0 → AUG_EINVAL; cap too small →
 * AUG_ETOOBIG. */
aug_err store_record_wal_encode(const store_wal_entry *e, size_t n, uint8_t *out, size_t cap, size_t *len);
/* Reads the entry count from the header (cheap; bounded by in.len, so a
 * garbled count cannot make the caller allocate more than in.len entries). */
aug_err store_record_wal_count(aug_bytes in, size_t *n);
/* Decodes every entry into out (capacity cap >= count); *n receives it. */
aug_err store_record_wal_decode(aug_bytes in, store_wal_entry *out, size_t cap, size_t *n);

/* ---- ingest state record ---- */
#define STORE_STATE_RECORD_MAX 160u
/* Encodes st; returns the length. Fields that are not meaningful (see
 * store_series_state) are not stored and decode as zero. */
size_t store_record_state_encode(const store_series_state *st, uint8_t out[STORE_STATE_RECORD_MAX]);
aug_err store_record_state_decode(aug_bytes in, store_series_state *out);

/* ---- outbox key and record (defined in outbox.c, format at its top) ---- */
#define STORE_OUTBOX_KEY_LEN 16u
void store_record_outbox_key_encode(uint64_t target, uint64_t seq, uint8_t out[STORE_OUTBOX_KEY_LEN]);
aug_err store_record_outbox_key_decode(aug_bytes in, uint64_t *target, uint64_t *seq); /* len != 16 → AUG_ECORRUPT */
/* Upper bound of the encoded size of a record of these series; 0 if it
 * overflows size_t. */
size_t store_record_outbox_bound(const store_outbox_series *s, size_t n);
/* Encodes n >= 1 series into out (capacity cap >= the bound); *len receives
 * the size. n 0, a series without samples or a non-canonical key →
 * AUG_EINVAL; cap too small → AUG_ETOOBIG. */
aug_err store_record_outbox_encode(const store_outbox_series *s, size_t n, uint8_t *out, size_t cap, size_t *len);

/* Decoder state: one series at a time (front-coded keys are rebuilt in the
 * caller's key buffer over the previous key). Fields are private. */
typedef struct store_record_outbox_rd {
    const uint8_t *p;
    size_t len, off;
    size_t nseries, nsamples;         /* from the header */
    size_t series_left, samples_left;
    size_t keylen;                    /* length of the previous key in keybuf */
    int64_t prev_ts;
} store_record_outbox_rd;

/* Checks the version and reads the header counts (nseries/nsamples may be
 * NULL). The counts are bounded by in.len, so they are safe to allocate by. */
aug_err store_record_outbox_open(aug_bytes in, store_record_outbox_rd *r, size_t *nseries, size_t *nsamples);
/* Decodes the next series: its key into keybuf (the same buffer on every
 * call; keycap >= in.len always suffices) and its samples into smp (smpcap
 * >= in.len / 9 + 1 always suffices); out borrows both. AUG_ENOTFOUND after
 * the last series (once the whole record checked out), AUG_ECORRUPT,
 * AUG_ETOOBIG if a buffer is too small. */
aug_err store_record_outbox_next(store_record_outbox_rd *r, uint8_t *keybuf, size_t keycap,
                                 store_outbox_sample *smp, size_t smpcap, store_outbox_series *out);

#endif
