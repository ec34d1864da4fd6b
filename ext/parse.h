/* SPDX-License-Identifier: MIT */
/*
** parse.h -- names, labels, selectors, durations and times.
**
** Pure C (libc, and PCRE2 for =~ and !~): no SQLite types, so it
** is unit-tested (test/unit/test_parse.c) and fuzzed on its own.
**
** Errors: functions that can fail take (char *zErr, size_t nErr) and on
** failure write a complete English message there WITHOUT the "tsm: " prefix
** (the SQL glue adds it), naming the offending input and the rule, e.g.
**   invalid metric name "1abc": must match [a-zA-Z_:][a-zA-Z0-9_:]*
** Memory: everything returned is from tsmMalloc() (alloc.h) and freed with
** the matching tsmXxxFree() or tsmFree().
*/
#ifndef TSM_PARSE_H
#define TSM_PARSE_H

#include "alloc.h"
#include <stddef.h>
#include <stdint.h>

#define TSM_NAME_MAX 1024        /* longest metric or label name, bytes */
#define TSM_LABELS_MAX 64        /* most labels in one series */
#define TSM_LABEL_VALUE_MAX 8192 /* longest label value, bytes */
#define TSM_MATCHERS_MAX 256     /* most matchers in one selector */

/* Quote z[0..n) for an error message into zOut (TSM_QUOTE_BUF bytes) and
** return zOut: in double quotes, at most TSM_QUOTE_MAX bytes of it then
** "..." when longer; control characters, NUL and bytes that are not UTF-8
** as \xNN, so that the message is printable UTF-8 whatever the input. */
#define TSM_QUOTE_MAX 60
#define TSM_QUOTE_BUF (TSM_QUOTE_MAX*4 + 8)
const char *tsmQuote(char *zOut, const char *z, size_t n);

/* 1 if z[0..n) is valid UTF-8: no overlong forms, no surrogates, nothing
** above U+10FFFF, no truncated sequence.  (NUL bytes are valid UTF-8.) */
int tsmUtf8Valid(const char *z, size_t n);

/* The one definition of the characters of names (../shared/tsm-api.md):
** metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*.
** bMetric: of a metric name (':' too); bFirst: the first character (not a
** digit).  Metric patterns (policy.c tsmPatternCheck) use it too. */
static inline int tsmNameChar(char c, int bMetric, int bFirst){
  return (c>='a' && c<='z') || (c>='A' && c<='Z') || c=='_'
      || (!bFirst && c>='0' && c<='9') || (bMetric && c==':');
}

/* 1 if z[0..n) matches [a-zA-Z_:][a-zA-Z0-9_:]* (and n <= TSM_NAME_MAX). */
int tsmMetricValid(const char *z, size_t n);

/* 1 if z[0..n) matches [a-zA-Z_][a-zA-Z0-9_]*, does not start with "__",
** and n <= TSM_NAME_MAX. */
int tsmLabelNameValid(const char *z, size_t n);

/* A label set: pairs kept sorted by name (bytewise), names unique, no
** empty values (an empty value means "absent" and is dropped on add). */
typedef struct TsmLabel { char *zName; char *zValue; } TsmLabel;
typedef struct TsmLabels { int n; int nAlloc; TsmLabel *a; } TsmLabels;

void tsmLabelsInit(TsmLabels *p);
void tsmLabelsFree(TsmLabels *p);             /* frees contents, re-inits */
/* Add one label.  Validates the name and that the value is UTF-8.  Adding a
** name already present with a different value is an error; the same value
** is a no-op.  Returns 0 or -1 (message in zErr). */
int tsmLabelsAdd(TsmLabels *p, const char *zName, const char *zValue,
                 char *zErr, size_t nErr);
/* Value of label zName, or NULL if absent. */
const char *tsmLabelsGet(const TsmLabels *p, const char *zName);

/* Parse a JSON object whose values are all strings (standard JSON, escapes
** including \uXXXX and surrogate pairs), or null, which means absent like
** "" does, and add its members to p.
** Non-object, non-string values, bad names, duplicate keys with different
** values are errors.  NULL or "" zJson means no labels.  On error p may
** hold some of the members already: the caller frees it. */
int tsmLabelsFromJson(TsmLabels *p, const char *zJson, char *zErr,
                      size_t nErr);

/* Canonical JSON text of a label set: {"a":"x","b":"y"} sorted by name, no
** spaces, escaping only '"', '\\' and control characters (\n \t \r \b \f
** or \u00XX); "{}" when empty.  Returns tsmMalloc'ed text or NULL on OOM. */
char *tsmLabelsToJson(const TsmLabels *p);

/* Selector matchers. */
#define TSM_MATCH_EQ  1   /* =  */
#define TSM_MATCH_NE  2   /* != */
#define TSM_MATCH_RE  3   /* =~ (PCRE2, fully anchored: see parse.c 6.) */
#define TSM_MATCH_NRE 4   /* !~ */
typedef struct TsmMatcher {
  char *zName;            /* label name; "__name__" matches the metric */
  char *zValue;           /* value or regular expression text */
  int eOp;                /* TSM_MATCH_xxx */
  void *pRe;              /* compiled regex for RE/NRE, else NULL */
} TsmMatcher;
typedef struct TsmSelector {
  char *zText;            /* the selector as given (for messages) */
  char *zMetric;          /* metric name, or NULL when the selector has none */
  int nMatch;
  TsmMatcher *aMatch;
} TsmSelector;

/*
** Parse a PromQL-style selector: `metric`, `metric{a="1",b!="2"}`,
** `{__name__="m",c=~"x.*",d!~"y"}`.  Whitespace is allowed around tokens;
** label values are double-quoted with \" \\ \n \t escapes (single quotes
** accepted too); a trailing comma inside {} is allowed.  Errors say the
** byte position:  invalid selector "m{a=1}": expected '"' at position 4
** Also accepted: `raw` values (no escapes), \' \r \uXXXX escapes, "{}"
** alone (matches every series).  Label names starting with "__" are
** refused except "__name__".  Any other escape (\. for instance) is an
** error, as in PromQL: write "a\\.b" or `a\.b`.
** Regexes =~ and !~ follow PCRE2's syntax, which holds RE2's as PromQL
** users write it (\d, (?i), [[:alpha:]], a+?, alternation), are fully
** anchored, '.' matches a newline, groups do not capture (\1 is refused).
** At most TSM_MATCHERS_MAX matchers.  On error *p is left empty.
*/
int tsmSelectorParse(const char *z, TsmSelector *p, char *zErr, size_t nErr);
void tsmSelectorFree(TsmSelector *p);
/* 1 if series (zMetric, labels) is matched by every matcher, 0 if not.
** A label that is absent has the value "" for matching purposes (as in
** PromQL).  -1 with a message in zErr when a regex hits one of its limits
** (match steps, depth, memory: each match ends in tens of ms whatever
** the pattern); the message names the selector, the regex and the limit.
** Not for two threads at once on one selector. */
int tsmSelectorMatch(const TsmSelector *p, const char *zMetric,
                     const TsmLabels *pLabels, char *zErr, size_t nErr);

/*
** The series key used by tsm_record and INSERT INTO tsm_samples:
** zMetric is a metric name, optionally followed by {...} with only "="
** matchers; zJson is an optional JSON object of labels (NULL allowed).
** Both label sources are merged (same name with two different values is an
** error).  On success *pzMetric is the bare metric name and *pzLabels the
** canonical JSON (both tsmMalloc'ed).  Errors name the argument: "metric" or
** "labels".  The name is everything before the '{' (no spaces); the {...}
** follows the selector syntax, without "__" labels or anything after '}'.
** An empty value ("" in either source) means the label is absent, so it
** never conflicts.  On error both outputs are NULL.
*/
int tsmSeriesKey(const char *zMetric, const char *zJson, char **pzMetric,
                 char **pzLabels, char *zErr, size_t nErr);

/*
** Selector text for metric zMetric (NULL: none) and the labels of JSON
** object zJson (NULL: none), every value quoted and escaped so that
** tsmSelectorParse() and PromQL read it back exactly:
** m{a="x",b="y \"q\""}, sorted by label name; {} when both are empty.
** A label whose value is "" or null is left out (it means absent).
** Returns tsmMalloc'ed text, or NULL with the message in zErr (bad metric
** name, labels not an object of strings, bad label name).
*/
char *tsmSelectorBuild(const char *zMetric, const char *zJson, char *zErr,
                       size_t nErr);

/*
** Durations: "250ms", "15s", "1m", "5m", "1h", "1d", "7d", "52w", "1y"
** (365d) and compounds like "1h30m" (units from largest to smallest, each
** at most once, as in Prometheus).  Must be > 0 and fit in int64.
** *pMs receives the length in milliseconds.  Returns 0 or -1 (zErr,
** naming the text).
*/
int tsmDurationParse(const char *z, int64_t *pMs, char *zErr, size_t nErr);

/*
** Times: ISO-8601 / SQLite datetime text in UTC unless an offset is given:
** "2026-01-25", "2026-01-25 18:59:19", "2026-01-25T18:59:19.123Z",
** "2026-01-25T18:59:19+02:00", fractional seconds to any number of digits
** (truncated to ms).  Also "HH:MM" without seconds, 'T' or ' ' between
** date and time, zones "Z", "+hh:mm", "-hh:mm", "+hhmm".  Years 0000-9999,
** every field range-checked (leap years included).
** *pMs receives ms since the Unix epoch.
** Returns 0 or -1 (zErr).
*/
int tsmTimeParse(const char *z, int64_t *pMs, char *zErr, size_t nErr);

/* Format ms since the epoch as "2026-01-25T18:59:19.123Z" into z (>= 32
** bytes).  Used in error messages and docs. */
void tsmTimeFormat(int64_t ms, char *z);

#endif /* TSM_PARSE_H */
