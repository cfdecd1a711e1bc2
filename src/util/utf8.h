/* utf8.h — the one UTF-8 decoder (RFC 3629): label values (wire/, export/),
 * selector strings and regexes (ingest/) and the JSON escaper (util/json.c)
 * all read UTF-8 through it, so they agree on what is well-formed.
 *
 * Well-formed means no overlong forms, no surrogates U+D800..DFFF, nothing
 * above U+10FFFF. Pure functions; any thread.
 */
#ifndef AUG_UTIL_UTF8_H
#define AUG_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* *cp of a sequence that is not well-formed. */
#define UTIL_UTF8_BAD UINT32_MAX

/* Reads the character that starts p[0..n).
 * Well-formed: returns its length (1 … 4) and sets *cp to its code point.
 * Not: sets *cp = UTIL_UTF8_BAD and returns the length of the maximal
 * ill-formed subpart (Unicode 15 §3.9: the bytes that start a valid
 * sequence and break off, else the first byte alone), at least 1, so that
 * replacing each one with U+FFFD matches the Unicode recommendation.
 * n == 0: returns 0 with *cp = UTIL_UTF8_BAD. p is borrowed for the call. */
size_t util_utf8_next(const uint8_t *p, size_t n, uint32_t *cp);

#endif
