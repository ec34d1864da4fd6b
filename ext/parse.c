/* SPDX-License-Identifier: MIT */
/*
** parse.c -- names, labels, selectors, durations and times.
**
** The interface and the rules are in parse.h.  This file is pure C (libc
** and PCRE2), keeps no global state and is safe to call from any number
** of threads at once (each on its own objects: a selector keeps the match
** data of its regexes).
**
** Contents, in order:
**   1. error messages (one helper, quoting of user input)
**   2. UTF-8
**   3. metric and label names
**   4. label sets
**   5. JSON labels: tsmLabelsFromJson(), tsmLabelsToJson()
**   6. regular expressions (anchoring and the complexity guard)
**   7. selectors and series keys
**   8. durations
**   9. times
**
** Notes on error messages: every failing call writes one complete sentence
** into (zErr, nErr), NUL-terminated and cut at a UTF-8 character boundary
** when nErr is too small.  User input is quoted in double quotes, at most
** PARSE_QUOTE_MAX bytes of it followed by "..." when longer; control
** characters and bytes that are not UTF-8 appear as \xNN so that a message
** is always printable UTF-8.  Positions are 0-based byte offsets into the
** text the user gave.
*/
#include "parse.h"
#include "alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_QUOTE_MAX TSM_QUOTE_MAX        /* input bytes quoted */
#define PARSE_QUOTE_BUF TSM_QUOTE_BUF


#define MS_PER_DAY 86400000LL

/**************************************************************************
** 1. Error messages.
*/

/* Index of the first byte of an incomplete UTF-8 sequence ending z[0..n),
** or n if z[0..n) does not end inside a character. */
static size_t utf8TrimPartial(const char *z, size_t n){
  size_t i = n;
  int nCont = 0;
  while( i>0 && nCont<3 && ((unsigned char)z[i-1] & 0xC0)==0x80 ){
    i--;
    nCont++;
  }
  if( i>0 ){
    unsigned char c = (unsigned char)z[i-1];
    int nNeed = c>=0xF0 ? 3 : c>=0xE0 ? 2 : c>=0xC0 ? 1 : 0;
    if( nNeed>nCont ) return i-1;
  }
  return n;
}

/* Write a printf-style message into zErr[0..nErr).  A message cut short
** by nErr is cut at a character boundary. */
static void parseErr(char *zErr, size_t nErr, const char *zFmt, ...){
  va_list ap;
  int n;
  if( zErr==0 || nErr==0 ) return;
  va_start(ap, zFmt);
  n = vsnprintf(zErr, nErr, zFmt, ap);
  va_end(ap);
  if( n<0 ){
    zErr[0] = 0;
  }else if( (size_t)n>=nErr ){
    zErr[utf8TrimPartial(zErr, nErr-1)] = 0;
  }
}

/* Length of the UTF-8 character at z[0..n) if it is valid (shortest form,
** not a surrogate, at most U+10FFFF), else 0.  n>0. */
static int utf8CharLen(const unsigned char *z, size_t n){
  unsigned c = z[0];
  int nByte, i;
  if( c<0x80 ) return 1;
  if( c<0xC2 ) return 0;           /* continuation byte or overlong */
  if( c<0xE0 ){
    nByte = 2;
  }else if( c<0xF0 ){
    nByte = 3;
  }else if( c<0xF5 ){
    nByte = 4;
  }else{
    return 0;
  }
  if( n<(size_t)nByte ) return 0;
  for(i=1; i<nByte; i++){
    if( (z[i] & 0xC0)!=0x80 ) return 0;
  }
  if( c==0xE0 && z[1]<0xA0 ) return 0;   /* overlong 3-byte */
  if( c==0xED && z[1]>=0xA0 ) return 0;  /* U+D800..U+DFFF */
  if( c==0xF0 && z[1]<0x90 ) return 0;   /* overlong 4-byte */
  if( c==0xF4 && z[1]>=0x90 ) return 0;  /* above U+10FFFF */
  return nByte;
}

/* Write z[0..n) into zOut[PARSE_QUOTE_BUF] in double quotes, for an error
** message, and return zOut (see parse.h). */
const char *tsmQuote(char *zOut, const char *z, size_t n){
  static const char aHex[] = "0123456789abcdef";
  const unsigned char *a = (const unsigned char*)z;
  size_t i = 0, j = 0;
  if( z==0 ) n = 0;
  zOut[j++] = '"';
  while( i<n ){
    unsigned c = a[i];
    if( c>=0x20 && c<0x7F ){
      if( i+1>PARSE_QUOTE_MAX ) break;
      zOut[j++] = (char)c;
      i++;
    }else{
      int nChar = c>=0x80 ? utf8CharLen(a+i, n-i) : 0;
      if( nChar>0 ){
        if( i+nChar>PARSE_QUOTE_MAX ) break;
        memcpy(&zOut[j], &a[i], nChar);
        j += nChar;
        i += nChar;
      }else{
        if( i+1>PARSE_QUOTE_MAX ) break;
        zOut[j++] = '\\';
        zOut[j++] = 'x';
        zOut[j++] = aHex[c>>4];
        zOut[j++] = aHex[c&15];
        i++;
      }
    }
  }
  zOut[j++] = '"';
  if( i<n ){
    memcpy(&zOut[j], "...", 3);
    j += 3;
  }
  zOut[j] = 0;
  return zOut;
}

/* tsmQuote() of a NUL-terminated string (NULL is quoted as ""). */
static const char *parseQuoteStr(char *zOut, const char *z){
  return tsmQuote(zOut, z, z ? strlen(z) : 0);
}

/**************************************************************************
** 2. UTF-8.
*/
int tsmUtf8Valid(const char *z, size_t n){
  const unsigned char *a = (const unsigned char*)z;
  size_t i = 0;
  while( i<n ){
    if( a[i]<0x80 ){
      i++;
    }else{
      int nChar = utf8CharLen(a+i, n-i);
      if( nChar==0 ) return 0;
      i += nChar;
    }
  }
  return 1;
}

/* Encode code point c (not a surrogate, <= 0x10FFFF) as UTF-8 into z,
** return the number of bytes written (1 to 4). */
static int utf8Encode(unsigned c, char *z){
  if( c<0x80 ){
    z[0] = (char)c;
    return 1;
  }
  if( c<0x800 ){
    z[0] = (char)(0xC0 | (c>>6));
    z[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if( c<0x10000 ){
    z[0] = (char)(0xE0 | (c>>12));
    z[1] = (char)(0x80 | ((c>>6) & 0x3F));
    z[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  z[0] = (char)(0xF0 | (c>>18));
  z[1] = (char)(0x80 | ((c>>12) & 0x3F));
  z[2] = (char)(0x80 | ((c>>6) & 0x3F));
  z[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* Value of the 4 hex digits at z, or -1.  Stops at a NUL, so it never
** reads past the end of a NUL-terminated string. */
static long hex4(const char *z){
  long v = 0;
  int i;
  for(i=0; i<4; i++){
    char c = z[i];
    int d;
    if( c>='0' && c<='9' ) d = c-'0';
    else if( c>='a' && c<='f' ) d = c-'a'+10;
    else if( c>='A' && c<='F' ) d = c-'A'+10;
    else return -1;
    v = v*16 + d;
  }
  return v;
}

#define UESC_OK        0
#define UESC_BADHEX    1
#define UESC_SURROGATE 2

/* Decode the \uXXXX escape whose 'u' is at z[*pi] (z NUL-terminated),
** joining a surrogate pair \uD8xx\uDCxx.  On success *pc is the code point
** and *pi is just past the escape. */
static int unicodeEscape(const char *z, size_t *pi, unsigned *pc){
  size_t i = *pi;
  long hi = hex4(&z[i+1]), lo;
  if( hi<0 ) return UESC_BADHEX;
  i += 5;
  if( hi>=0xDC00 && hi<=0xDFFF ) return UESC_SURROGATE;
  if( hi>=0xD800 && hi<=0xDBFF ){
    if( z[i]!='\\' || z[i+1]!='u' ) return UESC_SURROGATE;
    lo = hex4(&z[i+2]);
    if( lo<0 ) return UESC_BADHEX;
    if( lo<0xDC00 || lo>0xDFFF ) return UESC_SURROGATE;
    i += 6;
    *pc = 0x10000 + (((unsigned)hi - 0xD800)<<10) + ((unsigned)lo - 0xDC00);
  }else{
    *pc = (unsigned)hi;
  }
  *pi = i;
  return UESC_OK;
}

/**************************************************************************
** 3. Metric and label names.
*/
int tsmMetricValid(const char *z, size_t n){
  size_t i;
  if( z==0 || n==0 || n>TSM_NAME_MAX ) return 0;
  if( !tsmNameChar(z[0], 1, 1) ) return 0;
  for(i=1; i<n; i++){
    if( !tsmNameChar(z[i], 1, 0) ) return 0;
  }
  return 1;
}

/* 1 if z[0..n) matches [a-zA-Z_][a-zA-Z0-9_]* and n<=TSM_NAME_MAX. */
static int labelNameSyntax(const char *z, size_t n){
  size_t i;
  if( z==0 || n==0 || n>TSM_NAME_MAX ) return 0;
  if( !tsmNameChar(z[0], 0, 1) ) return 0;
  for(i=1; i<n; i++){
    if( !tsmNameChar(z[i], 0, 0) ) return 0;
  }
  return 1;
}

int tsmLabelNameValid(const char *z, size_t n){
  return labelNameSyntax(z, n) && !(n>=2 && z[0]=='_' && z[1]=='_');
}

static void errMetricName(char *zErr, size_t nErr, const char *z, size_t n){
  char zQ[PARSE_QUOTE_BUF];
  tsmQuote(zQ, z, n);
  if( n>TSM_NAME_MAX ){
    parseErr(zErr, nErr, "invalid metric name %s: longer than %d bytes",
             zQ, TSM_NAME_MAX);
  }else{
    parseErr(zErr, nErr,
             "invalid metric name %s: must match [a-zA-Z_:][a-zA-Z0-9_:]*", zQ);
  }
}

static void errLabelName(char *zErr, size_t nErr, const char *z, size_t n){
  char zQ[PARSE_QUOTE_BUF];
  tsmQuote(zQ, z, n);
  if( n>TSM_NAME_MAX ){
    parseErr(zErr, nErr, "invalid label name %s: longer than %d bytes",
             zQ, TSM_NAME_MAX);
  }else{
    parseErr(zErr, nErr, "invalid label name %s: must match "
             "[a-zA-Z_][a-zA-Z0-9_]* and not start with __", zQ);
  }
}

/**************************************************************************
** 4. Label sets.
**
** labelsAdd() does the work and returns one of the LBL_xxx codes below;
** labelsErr() turns a code into a message for the argument that supplied
** the label ("invalid labels" or "invalid metric \"...\"").
*/
#define LBL_OK       0
#define LBL_NAME     1   /* bad label name */
#define LBL_LONG     2   /* value longer than TSM_LABEL_VALUE_MAX */
#define LBL_NUL      3   /* value contains a NUL byte */
#define LBL_UTF8     4   /* value is not UTF-8 */
#define LBL_CONFLICT 5   /* name already present with another value */
#define LBL_MANY     6   /* more than TSM_LABELS_MAX labels */
#define LBL_NOMEM    7

void tsmLabelsInit(TsmLabels *p){
  p->n = 0;
  p->nAlloc = 0;
  p->a = 0;
}

void tsmLabelsFree(TsmLabels *p){
  int i;
  for(i=0; i<p->n; i++){
    tsmFree(p->a[i].zName);
    tsmFree(p->a[i].zValue);
  }
  tsmFree(p->a);
  tsmLabelsInit(p);
}

/* Compare the NUL-terminated zA with z[0..n) bytewise. */
static int nameCmp(const char *zA, const char *z, size_t n){
  size_t nA = strlen(zA);
  int c = memcmp(zA, z, nA<n ? nA : n);
  if( c ) return c;
  return nA<n ? -1 : nA>n ? 1 : 0;
}

/* Index of label z[0..n) in p, or -1 - (the index where it would go). */
static int labelsFind(const TsmLabels *p, const char *z, size_t n){
  int lo = 0, hi = p->n;
  while( lo<hi ){
    int mid = lo + (hi-lo)/2;
    int c = nameCmp(p->a[mid].zName, z, n);
    if( c==0 ) return mid;
    if( c<0 ) lo = mid+1; else hi = mid;
  }
  return -1 - lo;
}

static char *dupBytes(const char *z, size_t n){
  char *zNew = tsmMalloc(n+1);
  if( zNew ){
    memcpy(zNew, z, n);
    zNew[n] = 0;
  }
  return zNew;
}

static int labelsAdd(TsmLabels *p, const char *zName, size_t nName,
                     const char *zValue, size_t nValue){
  int i;
  char *zN, *zV;
  if( !tsmLabelNameValid(zName, nName) ) return LBL_NAME;
  if( nValue>TSM_LABEL_VALUE_MAX ) return LBL_LONG;
  if( nValue>0 && memchr(zValue, 0, nValue) ) return LBL_NUL;
  if( !tsmUtf8Valid(zValue, nValue) ) return LBL_UTF8;
  if( nValue==0 ) return LBL_OK;                  /* empty means absent */
  i = labelsFind(p, zName, nName);
  if( i>=0 ){
    const char *zOld = p->a[i].zValue;
    if( strlen(zOld)==nValue && memcmp(zOld, zValue, nValue)==0 ){
      return LBL_OK;
    }
    return LBL_CONFLICT;
  }
  i = -1 - i;
  if( p->n>=TSM_LABELS_MAX ) return LBL_MANY;
  if( p->n>=p->nAlloc ){
    int nNew = p->nAlloc ? p->nAlloc*2 : 8;
    TsmLabel *aNew;
    if( nNew>TSM_LABELS_MAX ) nNew = TSM_LABELS_MAX;
    aNew = tsmRealloc(p->a, sizeof(TsmLabel)*(size_t)nNew);
    if( aNew==0 ) return LBL_NOMEM;
    p->a = aNew;
    p->nAlloc = nNew;
  }
  zN = dupBytes(zName, nName);
  zV = dupBytes(zValue, nValue);
  if( zN==0 || zV==0 ){
    tsmFree(zN);
    tsmFree(zV);
    return LBL_NOMEM;
  }
  memmove(&p->a[i+1], &p->a[i], sizeof(TsmLabel)*(size_t)(p->n-i));
  p->a[i].zName = zN;
  p->a[i].zValue = zV;
  p->n++;
  return LBL_OK;
}

/* Message for labelsAdd() code rc about label zName[0..nName).  zWhat is
** the start of the message, e.g. "invalid labels". */
static void labelsErr(int rc, const char *zWhat, const char *zName,
                      size_t nName, char *zErr, size_t nErr){
  char zQ[PARSE_QUOTE_BUF];
  tsmQuote(zQ, zName, nName);
  switch( rc ){
    case LBL_NAME:
      errLabelName(zErr, nErr, zName, nName);
      break;
    case LBL_LONG:
      parseErr(zErr, nErr, "%s: value of %s is longer than %d bytes",
               zWhat, zQ, TSM_LABEL_VALUE_MAX);
      break;
    case LBL_NUL:
      parseErr(zErr, nErr, "%s: value of %s contains a NUL character",
               zWhat, zQ);
      break;
    case LBL_UTF8:
      parseErr(zErr, nErr, "%s: value of %s is not valid UTF-8", zWhat, zQ);
      break;
    case LBL_CONFLICT:
      parseErr(zErr, nErr, "%s: label %s given twice with different values",
               zWhat, zQ);
      break;
    case LBL_MANY:
      parseErr(zErr, nErr, "%s: more than %d labels", zWhat, TSM_LABELS_MAX);
      break;
    default:
      parseErr(zErr, nErr, "out of memory");
      break;
  }
}

int tsmLabelsAdd(TsmLabels *p, const char *zName, const char *zValue,
                 char *zErr, size_t nErr){
  size_t nName = zName ? strlen(zName) : 0;
  int rc;
  if( zValue==0 ) zValue = "";
  rc = labelsAdd(p, zName ? zName : "", nName, zValue, strlen(zValue));
  if( rc==LBL_OK ) return 0;
  labelsErr(rc, "invalid labels", zName, nName, zErr, nErr);
  return -1;
}

const char *tsmLabelsGet(const TsmLabels *p, const char *zName){
  int i;
  if( p==0 || zName==0 ) return 0;
  i = labelsFind(p, zName, strlen(zName));
  return i>=0 ? p->a[i].zValue : 0;
}

/**************************************************************************
** 5. JSON labels.
**
**   object := ws '{' ws [ member ( ws ',' ws member )* ] ws '}' ws
**   member := string ws ':' ws string
**
** with the strings of RFC 8259.  Syntax errors say what was expected and
** where:  invalid labels: expected ':' at position 5 in "{"a" "b"}"
*/
typedef struct JsonParse JsonParse;
struct JsonParse {
  const char *z;          /* the JSON text, NUL-terminated */
  size_t i;               /* current position */
  char *zErr;             /* error message buffer */
  size_t nErr;
};

#define JSON_TOOLONG (-2)   /* jsonString(): longer than nMax */

static int jsonIsSpace(char c){
  return c==' ' || c=='\t' || c=='\n' || c=='\r';
}
static void jsonSkipSpace(JsonParse *p){
  while( jsonIsSpace(p->z[p->i]) ) p->i++;
}

static void jsonErr(JsonParse *p, size_t iPos, const char *zWhat){
  char zQ[PARSE_QUOTE_BUF];
  parseErr(p->zErr, p->nErr, "invalid labels: %s at position %zu in %s",
           zWhat, iPos, parseQuoteStr(zQ, p->z));
}

/* Decode the JSON string whose opening quote is at p->z[p->i] into
** zOut[0..nMax) (zOut has room for nMax+4 bytes).  Return its length and
** leave p->i past the closing quote, or return -1 (message written), or
** JSON_TOOLONG with the first nMax or more bytes in zOut. */
static long jsonString(JsonParse *p, char *zOut, size_t nMax){
  const char *z = p->z;
  size_t i = p->i + 1;
  size_t n = 0;
  for(;;){
    unsigned char c = (unsigned char)z[i];
    if( n>nMax ) return JSON_TOOLONG;
    if( c=='"' ) break;
    if( c==0 ){
      jsonErr(p, i, "expected '\"'");
      return -1;
    }
    if( c<0x20 ){
      jsonErr(p, i, "unescaped control character");
      return -1;
    }
    if( c!='\\' ){
      zOut[n++] = (char)c;
      i++;
      continue;
    }
    switch( z[i+1] ){
      case '"':  zOut[n++] = '"';  i += 2; break;
      case '\\': zOut[n++] = '\\'; i += 2; break;
      case '/':  zOut[n++] = '/';  i += 2; break;
      case 'b':  zOut[n++] = '\b'; i += 2; break;
      case 'f':  zOut[n++] = '\f'; i += 2; break;
      case 'n':  zOut[n++] = '\n'; i += 2; break;
      case 'r':  zOut[n++] = '\r'; i += 2; break;
      case 't':  zOut[n++] = '\t'; i += 2; break;
      case 'u': {
        unsigned cp = 0;
        size_t iEsc = i;
        int rc;
        i++;
        rc = unicodeEscape(z, &i, &cp);
        if( rc==UESC_BADHEX ){
          jsonErr(p, iEsc, "invalid \\u escape");
          return -1;
        }
        if( rc==UESC_SURROGATE ){
          jsonErr(p, iEsc, "unpaired surrogate in \\u escape");
          return -1;
        }
        n += utf8Encode(cp, &zOut[n]);
        break;
      }
      default:
        jsonErr(p, i, "invalid escape");
        return -1;
    }
  }
  p->i = i+1;
  return (long)n;
}

int tsmLabelsFromJson(TsmLabels *pLabels, const char *zJson, char *zErr,
                      size_t nErr){
  JsonParse s;
  char *zKey, *zVal;
  int rc = 0;

  if( zJson==0 || zJson[0]==0 ) return 0;
  s.z = zJson;
  s.i = 0;
  s.zErr = zErr;
  s.nErr = nErr;
  jsonSkipSpace(&s);
  if( zJson[s.i]!='{' ){
    parseErr(zErr, nErr, "invalid labels: not a JSON object");
    return -1;
  }
  zKey = tsmMalloc(TSM_NAME_MAX + 4 + TSM_LABEL_VALUE_MAX + 4);
  if( zKey==0 ){
    parseErr(zErr, nErr, "out of memory");
    return -1;
  }
  zVal = &zKey[TSM_NAME_MAX + 4];
  s.i++;
  jsonSkipSpace(&s);
  if( zJson[s.i]=='}' ){
    s.i++;
  }else{
    for(;;){
      long nKey, nVal;
      int rcAdd;
      if( zJson[s.i]!='"' ){
        jsonErr(&s, s.i, "expected '\"'");
        rc = -1;
        break;
      }
      nKey = jsonString(&s, zKey, TSM_NAME_MAX);
      if( nKey==JSON_TOOLONG ){
        errLabelName(zErr, nErr, zKey, TSM_NAME_MAX+1);
        rc = -1;
        break;
      }
      if( nKey<0 ){
        rc = -1;
        break;
      }
      if( !tsmLabelNameValid(zKey, (size_t)nKey) ){
        errLabelName(zErr, nErr, zKey, (size_t)nKey);
        rc = -1;
        break;
      }
      jsonSkipSpace(&s);
      if( zJson[s.i]!=':' ){
        jsonErr(&s, s.i, "expected ':'");
        rc = -1;
        break;
      }
      s.i++;
      jsonSkipSpace(&s);
      if( strncmp(&zJson[s.i], "null", 4)==0 ){
        /* null means absent, like "": json_object('model', NEW.model) of a
        ** NULL column gives {"model":null} */
        s.i += 4;
        nVal = 0;
      }else if( zJson[s.i]!='"' ){
        char zQ[PARSE_QUOTE_BUF];
        parseErr(zErr, nErr, "invalid labels: value of %s must be a string",
                 tsmQuote(zQ, zKey, (size_t)nKey));
        rc = -1;
        break;
      }else{
        nVal = jsonString(&s, zVal, TSM_LABEL_VALUE_MAX);
      }
      if( nVal<0 && nVal!=JSON_TOOLONG ){
        rc = -1;
        break;
      }
      rcAdd = nVal==JSON_TOOLONG ? LBL_LONG
            : labelsAdd(pLabels, zKey, (size_t)nKey, zVal, (size_t)nVal);
      if( rcAdd!=LBL_OK ){
        labelsErr(rcAdd, "invalid labels", zKey, (size_t)nKey, zErr, nErr);
        rc = -1;
        break;
      }
      jsonSkipSpace(&s);
      if( zJson[s.i]==',' ){
        s.i++;
        jsonSkipSpace(&s);
        continue;
      }
      if( zJson[s.i]=='}' ){
        s.i++;
        break;
      }
      jsonErr(&s, s.i, "expected ',' or '}'");
      rc = -1;
      break;
    }
  }
  if( rc==0 ){
    jsonSkipSpace(&s);
    if( zJson[s.i]!=0 ){
      jsonErr(&s, s.i, "expected the end of the text");
      rc = -1;
    }
  }
  tsmFree(zKey);
  return rc;
}

/* Bytes needed for z as the inside of a canonical JSON string. */
static size_t jsonEscapedLen(const char *z){
  size_t n = 0;
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( c=='"' || c=='\\' || c=='\n' || c=='\t' || c=='\r' || c=='\b'
     || c=='\f' ){
      n += 2;
    }else if( c<0x20 ){
      n += 6;
    }else{
      n += 1;
    }
  }
  return n;
}

/* Append z as a canonical JSON string (with quotes) at zOut, return the
** end of what was written. */
static char *jsonEscape(char *zOut, const char *z){
  static const char aHex[] = "0123456789abcdef";
  *zOut++ = '"';
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    char cEsc = 0;
    switch( c ){
      case '"':  cEsc = '"';  break;
      case '\\': cEsc = '\\'; break;
      case '\n': cEsc = 'n';  break;
      case '\t': cEsc = 't';  break;
      case '\r': cEsc = 'r';  break;
      case '\b': cEsc = 'b';  break;
      case '\f': cEsc = 'f';  break;
    }
    if( cEsc ){
      *zOut++ = '\\';
      *zOut++ = cEsc;
    }else if( c<0x20 ){
      memcpy(zOut, "\\u00", 4);
      zOut[4] = aHex[c>>4];
      zOut[5] = aHex[c&15];
      zOut += 6;
    }else{
      *zOut++ = (char)c;
    }
  }
  *zOut++ = '"';
  return zOut;
}

char *tsmLabelsToJson(const TsmLabels *p){
  size_t nOut = 3;
  int i;
  char *zOut, *z;
  for(i=0; i<p->n; i++){
    nOut += jsonEscapedLen(p->a[i].zName) + jsonEscapedLen(p->a[i].zValue) + 6;
  }
  zOut = tsmMalloc(nOut);
  if( zOut==0 ) return 0;
  z = zOut;
  *z++ = '{';
  for(i=0; i<p->n; i++){
    if( i>0 ) *z++ = ',';
    z = jsonEscape(z, p->a[i].zName);
    *z++ = ':';
    z = jsonEscape(z, p->a[i].zValue);
  }
  *z++ = '}';
  *z = 0;
  return zOut;
}

/**************************************************************************
** 6. Regular expressions.
**
** Matchers =~ and !~ use PCRE2 (Debian's libpcre2-8), whose syntax holds
** what PromQL users write in RE2's: \d \w \s, classes [[:alpha:]] and
** \pL, (?i) and the other flags, (?:...), lazy a+?, alternation, counted
** repetition.  A regex is fully anchored as in PromQL (PCRE2_ANCHORED and
** PCRE2_ENDANCHORED, not a textual "^(...)$" that a stray ')' could
** break), '.' matches a newline too (as Prometheus's "(?s:...)"), and
** groups do not capture, so \1 is refused as RE2 refuses it.
**
** Cost.  A backtracking matcher takes exponential time on some patterns
** ("(a+)+$", "a*" repeated thousands of times); PCRE2 bounds it with a
** match limit (backtracking steps), a depth limit and a heap limit, and
** returns an error when one is hit, which tsmSelectorMatch reports.  The
** work between two steps can grow with the length of the pattern (all
** the "a*" of "a*a*a*..." that match nothing), so the step limit is
** PARSE_RE_STEPS scaled down for patterns longer than PARSE_RE_SCALE
** bytes: every match ends within tens of milliseconds whatever the
** pattern (see test/unit/test_parse.c and test/query.test).
*/
#define PARSE_RE_STEPS  100000    /* match limit of a short pattern */
#define PARSE_RE_SCALE  64        /* ... for patterns up to this long */
#define PARSE_RE_HEAP   (16*1024) /* heap limit, KiB */

/* The compiled form of one =~ or !~ matcher (TsmMatcher.pRe). */
typedef struct ParseRe {
  pcre2_general_context *pGen;    /* PCRE2 allocates through tsmMalloc */
  pcre2_code *pCode;
  pcre2_match_context *pCtx;      /* the limits */
  pcre2_match_data *pData;
  uint32_t nLimit;                /* its match and depth limit */
} ParseRe;

static void reFree(ParseRe *pRe){
  if( pRe ){
    pcre2_match_data_free(pRe->pData);
    pcre2_match_context_free(pRe->pCtx);
    pcre2_code_free(pRe->pCode);
    pcre2_general_context_free(pRe->pGen);
    tsmFree(pRe);
  }
}

/* PCRE2's allocations (the compiled code, the contexts, the match data
** and the heap frames of a match) through alloc.h. */
static void *reMalloc(PCRE2_SIZE n, void *pArg){
  (void)pArg;
  return tsmMalloc(n);
}
static void reMemFree(void *p, void *pArg){
  (void)pArg;
  tsmFree(p);
}

/* Compile regex zRe of the matcher on label zLabel into *ppRe (a
** ParseRe).  Returns 0 or -1 with the message written. */
static int reCompile(const char *zRe, const char *zLabel, void **ppRe,
                     char *zErr, size_t nErr){
  char zQ[PARSE_QUOTE_BUF], zQL[PARSE_QUOTE_BUF];
  size_t n = strlen(zRe);
  ParseRe *pRe;
  pcre2_compile_context *pCompile = 0;
  int iErr = 0;
  PCRE2_SIZE iOff = 0;
  *ppRe = 0;
  pRe = tsmMallocZero(sizeof(ParseRe));
  if( pRe==0 ) goto nomem;
  pRe->pGen = pcre2_general_context_create(reMalloc, reMemFree, 0);
  if( pRe->pGen ) pCompile = pcre2_compile_context_create(pRe->pGen);
  if( pCompile==0 ){
    reFree(pRe);
    goto nomem;
  }
  pRe->pCode = pcre2_compile((PCRE2_SPTR)zRe, n,
      PCRE2_UTF|PCRE2_MATCH_INVALID_UTF|PCRE2_ANCHORED|PCRE2_ENDANCHORED
      |PCRE2_DOTALL|PCRE2_NO_AUTO_CAPTURE|PCRE2_NEVER_BACKSLASH_C,
      &iErr, &iOff, pCompile);
  pcre2_compile_context_free(pCompile);
  if( pRe->pCode==0 ){
    char zMsg[200];
    reFree(pRe);
    if( iErr==PCRE2_ERROR_NOMEMORY ) goto nomem;
    pcre2_get_error_message(iErr, (PCRE2_UCHAR*)zMsg, sizeof(zMsg));
    parseErr(zErr, nErr, "invalid regular expression %s for label %s: %s "
             "at position %zu", tsmQuote(zQ, zRe, n),
             parseQuoteStr(zQL, zLabel), zMsg, (size_t)iOff);
    return -1;
  }
  pRe->nLimit = PARSE_RE_STEPS;
  if( n>PARSE_RE_SCALE ){
    pRe->nLimit = (uint32_t)((uint64_t)PARSE_RE_STEPS*PARSE_RE_SCALE/n);
  }
  pRe->pCtx = pcre2_match_context_create(pRe->pGen);
  pRe->pData = pcre2_match_data_create(1, pRe->pGen);
  if( pRe->pCtx==0 || pRe->pData==0 ){
    reFree(pRe);
    goto nomem;
  }
  pcre2_set_match_limit(pRe->pCtx, pRe->nLimit);
  pcre2_set_depth_limit(pRe->pCtx, pRe->nLimit);
  pcre2_set_heap_limit(pRe->pCtx, PARSE_RE_HEAP);
  *ppRe = pRe;
  return 0;

 nomem:
  parseErr(zErr, nErr, "out of memory");
  return -1;
}

/* 1 if zVal matches matcher pM's regex, 0 if not, -1 (message written)
** if a limit stopped the match. */
static int reMatch(const char *zSel, const TsmMatcher *pM, const char *zVal,
                   char *zErr, size_t nErr){
  ParseRe *pRe = (ParseRe*)pM->pRe;
  char zQS[PARSE_QUOTE_BUF], zQ[PARSE_QUOTE_BUF], zQL[PARSE_QUOTE_BUF];
  char zQV[PARSE_QUOTE_BUF];
  int rc = pcre2_match(pRe->pCode, (PCRE2_SPTR)zVal, strlen(zVal), 0, 0,
                       pRe->pData, pRe->pCtx);
  if( rc>=0 ) return 1;
  if( rc==PCRE2_ERROR_NOMATCH ) return 0;
  if( rc==PCRE2_ERROR_NOMEMORY ){
    parseErr(zErr, nErr, "out of memory");
  }else{
    char zWhy[80];
    switch( rc ){
      case PCRE2_ERROR_MATCHLIMIT:
        snprintf(zWhy, sizeof(zWhy), "needs more than its match limit of %u "
                 "steps", pRe->nLimit);
        break;
      case PCRE2_ERROR_DEPTHLIMIT:
        snprintf(zWhy, sizeof(zWhy), "nests deeper than its depth limit of "
                 "%u", pRe->nLimit);
        break;
      case PCRE2_ERROR_HEAPLIMIT:
        snprintf(zWhy, sizeof(zWhy), "needs more than its memory limit of "
                 "%d KiB", PARSE_RE_HEAP);
        break;
      default:
        snprintf(zWhy, sizeof(zWhy), "fails (PCRE2 error %d)", rc);
        break;
    }
    parseErr(zErr, nErr, "selector %s: regular expression %s for label %s "
        "%s on the value %s: simplify the expression",
        parseQuoteStr(zQS, zSel), parseQuoteStr(zQ, pM->zValue),
        parseQuoteStr(zQL, pM->zName), zWhy, parseQuoteStr(zQV, zVal));
  }
  return -1;
}

/**************************************************************************
** 7. Selectors and series keys.
**
**   selector := ws [ metric ] ws [ '{' ws [ matcher ( ws ',' ws matcher )*
**               ws [','] ] ws '}' ] ws
**   matcher  := label ws op ws string
**   op       := '=' | '!=' | '=~' | '!~'
**   string   := "..." | '...' (escapes \\ \" \' \n \t \r \uXXXX)
**             | `...` (raw)
**
** The same parser reads the {...} of the metric argument of tsm_record
** (bKey): there only '=' is allowed, label names may not start with "__",
** and nothing may follow the '}'.
*/
typedef struct SelParse SelParse;
struct SelParse {
  const char *z;          /* the whole text, NUL-terminated */
  int bKey;               /* the metric argument of tsmSeriesKey() */
  char *zBuf;             /* TSM_LABEL_VALUE_MAX+4 bytes for a value */
  char *zErr;
  size_t nErr;
};

static int selIsSpace(char c){
  return c==' ' || c=='\t' || c=='\n' || c=='\r' || c=='\f' || c=='\v';
}
static size_t selSkipSpace(const char *z, size_t i){
  while( selIsSpace(z[i]) ) i++;
  return i;
}

/* Message "invalid selector "<text>": <zFmt...>" (or "invalid metric"). */
static void selErr(SelParse *p, const char *zFmt, ...){
  char zQ[PARSE_QUOTE_BUF];
  char zMsg[PARSE_QUOTE_BUF*2];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zMsg, sizeof(zMsg), zFmt, ap);
  va_end(ap);
  parseErr(p->zErr, p->nErr, "invalid %s %s: %s",
           p->bKey ? "metric" : "selector", parseQuoteStr(zQ, p->z), zMsg);
}

/* Decode the string whose opening quote is at p->z[*pi] into p->zBuf.
** Returns its length and sets *pi past the closing quote, or -1. */
static long selString(SelParse *p, size_t *pi){
  const char *z = p->z;
  char *zOut = p->zBuf;
  size_t iStart = *pi;
  size_t i = iStart + 1;
  size_t n = 0;
  char q = z[iStart];
  for(;;){
    char c = z[i];
    if( n>TSM_LABEL_VALUE_MAX ){
      selErr(p, "label value at position %zu is longer than %d bytes",
             iStart, TSM_LABEL_VALUE_MAX);
      return -1;
    }
    if( c==q ) break;
    if( c==0 ){
      selErr(p, "expected '%c' at position %zu", q, i);
      return -1;
    }
    if( c!='\\' || q=='`' ){
      zOut[n++] = c;
      i++;
      continue;
    }
    switch( z[i+1] ){
      case '\\': zOut[n++] = '\\'; i += 2; break;
      case '"':  zOut[n++] = '"';  i += 2; break;
      case '\'': zOut[n++] = '\''; i += 2; break;
      case 'n':  zOut[n++] = '\n'; i += 2; break;
      case 't':  zOut[n++] = '\t'; i += 2; break;
      case 'r':  zOut[n++] = '\r'; i += 2; break;
      case 'u': {
        unsigned cp = 0;
        size_t iEsc = i;
        i++;
        if( unicodeEscape(z, &i, &cp)!=UESC_OK ){
          selErr(p, "invalid \\u escape at position %zu", iEsc);
          return -1;
        }
        n += utf8Encode(cp, &zOut[n]);
        break;
      }
      default:
        selErr(p, "invalid escape at position %zu "
                  "(write \\\\ for a backslash)", i);
        return -1;
    }
  }
  if( !tsmUtf8Valid(zOut, n) ){
    selErr(p, "label value at position %zu is not valid UTF-8", iStart);
    return -1;
  }
  if( memchr(zOut, 0, n) ){
    selErr(p, "label value at position %zu contains a NUL character", iStart);
    return -1;
  }
  *pi = i+1;
  return (long)n;
}

/* Parse p->z into pSel (zeroed by the caller).  Returns 0 or -1. */
static int selParse(SelParse *p, TsmSelector *pSel){
  const char *z = p->z;
  size_t i = selSkipSpace(z, 0);
  int bBrace = 0;
  int nAlloc = 0;

  if( tsmNameChar(z[i], 1, 1) ){
    size_t iStart = i;
    while( tsmNameChar(z[i], 1, 0) ) i++;
    if( i-iStart>TSM_NAME_MAX ){
      selErr(p, "metric name at position %zu is longer than %d bytes",
             iStart, TSM_NAME_MAX);
      return -1;
    }
    pSel->zMetric = dupBytes(&z[iStart], i-iStart);
    if( pSel->zMetric==0 ) goto nomem;
    i = selSkipSpace(z, i);
  }
  if( z[i]=='{' ){
    bBrace = 1;
    i = selSkipSpace(z, i+1);
    while( z[i]!='}' ){
      size_t iName = i, nName;
      int eOp;
      long nVal;
      TsmMatcher *pM;
      if( !tsmNameChar(z[i], 0, 1) ){
        selErr(p, "expected a label name or '}' at position %zu", i);
        return -1;
      }
      while( tsmNameChar(z[i], 0, 0) ) i++;
      nName = i - iName;
      if( nName>TSM_NAME_MAX ){
        selErr(p, "label name at position %zu is longer than %d bytes",
               iName, TSM_NAME_MAX);
        return -1;
      }
      if( nName>=2 && z[iName]=='_' && z[iName+1]=='_'
       && (p->bKey || nName!=8 || memcmp(&z[iName], "__name__", 8)!=0)
      ){
        char zQ[PARSE_QUOTE_BUF];
        tsmQuote(zQ, &z[iName], nName);
        if( p->bKey ){
          selErr(p, "label name %s at position %zu must not start with __",
                 zQ, iName);
        }else{
          selErr(p, "label name %s at position %zu must not start with __ "
                    "(only __name__ may)", zQ, iName);
        }
        return -1;
      }
      i = selSkipSpace(z, i);
      if( z[i]=='=' && z[i+1]=='~' ){
        eOp = TSM_MATCH_RE;
        i += 2;
      }else if( z[i]=='=' ){
        eOp = TSM_MATCH_EQ;
        i += 1;
      }else if( z[i]=='!' && z[i+1]=='=' ){
        eOp = TSM_MATCH_NE;
        i += 2;
      }else if( z[i]=='!' && z[i+1]=='~' ){
        eOp = TSM_MATCH_NRE;
        i += 2;
      }else{
        selErr(p, "expected '=', '!=', '=~' or '!~' at position %zu", i);
        return -1;
      }
      if( p->bKey && eOp!=TSM_MATCH_EQ ){
        selErr(p, "only = matchers may name a series");
        return -1;
      }
      i = selSkipSpace(z, i);
      if( z[i]!='"' && z[i]!='\'' && z[i]!='`' ){
        selErr(p, "expected '\"' at position %zu", i);
        return -1;
      }
      nVal = selString(p, &i);
      if( nVal<0 ) return -1;
      if( pSel->nMatch>=TSM_MATCHERS_MAX ){
        selErr(p, "more than %d matchers", TSM_MATCHERS_MAX);
        return -1;
      }
      if( pSel->nMatch>=nAlloc ){
        int nNew = nAlloc ? nAlloc*2 : 8;
        TsmMatcher *aNew;
        aNew = tsmRealloc(pSel->aMatch, sizeof(TsmMatcher)*(size_t)nNew);
        if( aNew==0 ) goto nomem;
        pSel->aMatch = aNew;
        nAlloc = nNew;
      }
      pM = &pSel->aMatch[pSel->nMatch];
      pM->zName = dupBytes(&z[iName], nName);
      pM->zValue = dupBytes(p->zBuf, (size_t)nVal);
      pM->eOp = eOp;
      pM->pRe = 0;
      pSel->nMatch++;
      if( pM->zName==0 || pM->zValue==0 ) goto nomem;
      if( eOp==TSM_MATCH_RE || eOp==TSM_MATCH_NRE ){
        if( reCompile(pM->zValue, pM->zName, &pM->pRe, p->zErr, p->nErr) ){
          return -1;
        }
      }
      i = selSkipSpace(z, i);
      if( z[i]==',' ){
        i = selSkipSpace(z, i+1);
      }else if( z[i]!='}' ){
        selErr(p, "expected ',' or '}' at position %zu", i);
        return -1;
      }
    }
    i++;
    if( !p->bKey ) i = selSkipSpace(z, i);
  }
  if( pSel->zMetric==0 && !bBrace ){
    selErr(p, "expected a metric name or '{' at position %zu", i);
    return -1;
  }
  if( z[i]!=0 ){
    if( bBrace ){
      selErr(p, "expected the end of the %s at position %zu",
             p->bKey ? "metric" : "selector", i);
    }else{
      selErr(p, "expected '{' or the end of the selector at position %zu", i);
    }
    return -1;
  }
  return 0;

nomem:
  parseErr(p->zErr, p->nErr, "out of memory");
  return -1;
}

void tsmSelectorFree(TsmSelector *p){
  int i;
  for(i=0; i<p->nMatch; i++){
    TsmMatcher *pM = &p->aMatch[i];
    tsmFree(pM->zName);
    tsmFree(pM->zValue);
    reFree((ParseRe*)pM->pRe);
  }
  tsmFree(p->aMatch);
  tsmFree(p->zMetric);
  tsmFree(p->zText);
  memset(p, 0, sizeof(*p));
}

/* Parse z with bKey as given; on error *pSel is freed. */
static int selParseText(const char *z, int bKey, TsmSelector *pSel,
                        char *zErr, size_t nErr){
  SelParse s;
  int rc;
  memset(pSel, 0, sizeof(*pSel));
  s.z = z ? z : "";
  s.bKey = bKey;
  s.zErr = zErr;
  s.nErr = nErr;
  s.zBuf = tsmMalloc(TSM_LABEL_VALUE_MAX + 4);
  if( s.zBuf==0 ){
    parseErr(zErr, nErr, "out of memory");
    return -1;
  }
  rc = selParse(&s, pSel);
  tsmFree(s.zBuf);
  if( rc==0 && !bKey ){
    pSel->zText = dupBytes(s.z, strlen(s.z));
    if( pSel->zText==0 ){
      parseErr(zErr, nErr, "out of memory");
      rc = -1;
    }
  }
  if( rc ) tsmSelectorFree(pSel);
  return rc;
}

int tsmSelectorParse(const char *z, TsmSelector *p, char *zErr, size_t nErr){
  return selParseText(z, 0, p, zErr, nErr);
}

int tsmSelectorMatch(const TsmSelector *p, const char *zMetric,
                     const TsmLabels *pLabels, char *zErr, size_t nErr){
  int i;
  if( zMetric==0 ) zMetric = "";
  if( p->zMetric && strcmp(p->zMetric, zMetric)!=0 ) return 0;
  for(i=0; i<p->nMatch; i++){
    const TsmMatcher *pM = &p->aMatch[i];
    const char *zVal;
    int bHit;
    if( strcmp(pM->zName, "__name__")==0 ){
      zVal = zMetric;
    }else{
      zVal = tsmLabelsGet(pLabels, pM->zName);
      if( zVal==0 ) zVal = "";
    }
    switch( pM->eOp ){
      case TSM_MATCH_EQ:  bHit = strcmp(zVal, pM->zValue)==0; break;
      case TSM_MATCH_NE:  bHit = strcmp(zVal, pM->zValue)!=0; break;
      default:
        bHit = reMatch(p->zText, pM, zVal, zErr, nErr);
        if( bHit<0 ) return -1;
        if( pM->eOp==TSM_MATCH_NRE ) bHit = !bHit;
        break;
    }
    if( !bHit ) return 0;
  }
  return 1;
}

int tsmSeriesKey(const char *zMetric, const char *zJson, char **pzMetric,
                 char **pzLabels, char *zErr, size_t nErr){
  TsmLabels labels;
  size_t n, nName;
  const char *zBrace;
  char *zM = 0, *zL = 0;
  int rc = 0;

  *pzMetric = 0;
  *pzLabels = 0;
  if( zMetric==0 ) zMetric = "";
  n = strlen(zMetric);
  zBrace = memchr(zMetric, '{', n);
  nName = zBrace ? (size_t)(zBrace - zMetric) : n;
  if( zBrace && nName==0 ){
    char zQ[PARSE_QUOTE_BUF];
    parseErr(zErr, nErr, "invalid metric %s: must start with a metric name",
             tsmQuote(zQ, zMetric, n));
    return -1;
  }
  if( !tsmMetricValid(zMetric, nName) ){
    errMetricName(zErr, nErr, zMetric, nName);
    return -1;
  }
  tsmLabelsInit(&labels);
  if( zBrace ){
    TsmSelector sel;
    rc = selParseText(zMetric, 1, &sel, zErr, nErr);
    if( rc==0 ){
      int i;
      for(i=0; rc==0 && i<sel.nMatch; i++){
        const char *zN = sel.aMatch[i].zName;
        const char *zV = sel.aMatch[i].zValue;
        int rcAdd = labelsAdd(&labels, zN, strlen(zN), zV, strlen(zV));
        if( rcAdd!=LBL_OK ){
          char zQ[PARSE_QUOTE_BUF], zWhat[PARSE_QUOTE_BUF+20];
          snprintf(zWhat, sizeof(zWhat), "invalid metric %s",
                   tsmQuote(zQ, zMetric, n));
          labelsErr(rcAdd, zWhat, zN, strlen(zN), zErr, nErr);
          rc = -1;
        }
      }
      tsmSelectorFree(&sel);
    }
  }
  if( rc==0 ) rc = tsmLabelsFromJson(&labels, zJson, zErr, nErr);
  if( rc==0 ){
    zM = dupBytes(zMetric, nName);
    zL = tsmLabelsToJson(&labels);
    if( zM==0 || zL==0 ){
      tsmFree(zM);
      tsmFree(zL);
      parseErr(zErr, nErr, "out of memory");
      rc = -1;
    }else{
      *pzMetric = zM;
      *pzLabels = zL;
    }
  }
  tsmLabelsFree(&labels);
  return rc;
}

/*
** tsm_selector(metric, labels): selector text with every label value
** quoted as PromQL reads it: \\ \" \n \t \r escaped, other control
** characters as \u00XX, other UTF-8 as is.
*/
char *tsmSelectorBuild(const char *zMetric, const char *zJson, char *zErr,
                       size_t nErr){
  static const char aHex[] = "0123456789abcdef";
  TsmLabels labels;
  size_t nOut, nMetric = zMetric ? strlen(zMetric) : 0;
  char *zOut = 0, *z;
  int i;
  if( zMetric && !tsmMetricValid(zMetric, nMetric) ){
    errMetricName(zErr, nErr, zMetric, nMetric);
    return 0;
  }
  tsmLabelsInit(&labels);
  if( tsmLabelsFromJson(&labels, zJson, zErr, nErr) ){
    tsmLabelsFree(&labels);
    return 0;
  }
  nOut = nMetric + 3;
  for(i=0; i<labels.n; i++){
    nOut += strlen(labels.a[i].zName) + 6*strlen(labels.a[i].zValue) + 4;
  }
  zOut = tsmMalloc(nOut);
  if( zOut==0 ){
    parseErr(zErr, nErr, "out of memory");
    tsmLabelsFree(&labels);
    return 0;
  }
  z = zOut;
  if( nMetric ){ memcpy(z, zMetric, nMetric); z += nMetric; }
  if( labels.n>0 || nMetric==0 ){
    *z++ = '{';
    for(i=0; i<labels.n; i++){
      const unsigned char *zV = (const unsigned char*)labels.a[i].zValue;
      size_t nName = strlen(labels.a[i].zName);
      if( i>0 ) *z++ = ',';
      memcpy(z, labels.a[i].zName, nName);
      z += nName;
      *z++ = '=';
      *z++ = '"';
      for(; *zV; zV++){
        char cEsc = 0;
        switch( *zV ){
          case '"':  cEsc = '"';  break;
          case '\\': cEsc = '\\'; break;
          case '\n': cEsc = 'n';  break;
          case '\t': cEsc = 't';  break;
          case '\r': cEsc = 'r';  break;
        }
        if( cEsc ){
          *z++ = '\\';
          *z++ = cEsc;
        }else if( *zV<0x20 ){
          memcpy(z, "\\u00", 4);
          z[4] = aHex[*zV>>4];
          z[5] = aHex[*zV&15];
          z += 6;
        }else{
          *z++ = (char)*zV;
        }
      }
      *z++ = '"';
    }
    *z++ = '}';
  }
  *z = 0;
  tsmLabelsFree(&labels);
  return zOut;
}

/**************************************************************************
** 8. Durations: one or more <digits><unit>, units from largest to
** smallest, each at most once.
*/
int tsmDurationParse(const char *z, int64_t *pMs, char *zErr, size_t nErr){
  static const struct { char c1, c2; int64_t ms; } aUnit[] = {
    { 'y', 0,   365*MS_PER_DAY },
    { 'w', 0,   7*MS_PER_DAY },
    { 'd', 0,   MS_PER_DAY },
    { 'h', 0,   3600000 },
    { 'm', 0,   60000 },
    { 's', 0,   1000 },
    { 'm', 's', 1 },
  };
  const int nUnit = (int)(sizeof(aUnit)/sizeof(aUnit[0]));
  char zQ[PARSE_QUOTE_BUF];
  int64_t nTotal = 0;
  int iPrev = -1;
  size_t i = 0;

  if( z==0 ) z = "";
  do{
    int64_t v = 0;
    int iUnit;
    if( z[i]<'0' || z[i]>'9' ) goto syntax;
    while( z[i]>='0' && z[i]<='9' ){
      int d = z[i] - '0';
      if( v>(INT64_MAX - d)/10 ) goto toobig;
      v = v*10 + d;
      i++;
    }
    if( z[i]=='m' && z[i+1]=='s' ){
      iUnit = nUnit-1;
      i += 2;
    }else{
      for(iUnit=0; iUnit<nUnit-1 && aUnit[iUnit].c1!=z[i]; iUnit++){}
      if( iUnit==nUnit-1 ) goto syntax;
      i++;
    }
    if( iUnit<=iPrev ){
      parseErr(zErr, nErr, "invalid duration %s: units must go from largest"
               " to smallest (y, w, d, h, m, s, ms), each at most once",
               parseQuoteStr(zQ, z));
      return -1;
    }
    iPrev = iUnit;
    if( v>INT64_MAX/aUnit[iUnit].ms ) goto toobig;
    v *= aUnit[iUnit].ms;
    if( nTotal>INT64_MAX - v ) goto toobig;
    nTotal += v;
  }while( z[i] );
  if( nTotal<=0 ){
    parseErr(zErr, nErr, "invalid duration %s: must be greater than 0",
             parseQuoteStr(zQ, z));
    return -1;
  }
  *pMs = nTotal;
  return 0;

syntax:
  parseErr(zErr, nErr, "invalid duration %s: expected a number followed by "
           "ms, s, m, h, d, w or y", parseQuoteStr(zQ, z));
  return -1;
toobig:
  parseErr(zErr, nErr, "invalid duration %s: too long for 64-bit "
           "milliseconds", parseQuoteStr(zQ, z));
  return -1;
}

/**************************************************************************
** 9. Times.
**
**   YYYY-MM-DD [ (T|' ') HH:MM [ :SS [ .fraction ] ] [ Z | (+|-)HH[:]MM ] ]
**
** Days are counted in the proleptic Gregorian calendar from 0000-01-01.
** The 400-year cycle has 146097 days; its first century (starting with a
** leap year) 36525 days, the other three 36524; a 4-year block 1461 days
** except the first of a century that does not start with a leap year,
** which has 1460.
*/
#define DAYS_0000_TO_1970 719528   /* days from 0000-01-01 to 1970-01-01 */
#define DAYS_PER_400Y 146097

static int isLeap(int64_t y){
  return (y%4==0 && y%100!=0) || y%400==0;
}

static int daysInMonth(int64_t y, int m){
  static const int aDays[12] = {31,28,31,30,31,30,31,31,30,31,30,31};
  return (m==2 && isLeap(y)) ? 29 : aDays[m-1];
}

/* Days before the first of month m (1..12) in a year. */
static int daysBeforeMonth(int m, int bLeap){
  static const int aCum[12] = {0,31,59,90,120,151,181,212,243,273,304,334};
  return aCum[m-1] + (bLeap && m>2 ? 1 : 0);
}

/* Days from 1970-01-01 to y-m-d, for 0 <= y <= 9999. */
static int64_t daysFromCivil(int y, int m, int d){
  /* Leap years in [0, y): those divisible by 4, less by 100, plus by 400,
  ** counting year 0 in each. */
  int64_t nLeap = (y+3)/4 - (y+99)/100 + (y+399)/400;
  int64_t nDays = 365*(int64_t)y + nLeap;
  return nDays + daysBeforeMonth(m, isLeap(y)) + (d-1) - DAYS_0000_TO_1970;
}

/* Inverse of daysFromCivil() for any day number. */
static void civilFromDays(int64_t nDay, int64_t *pY, int *pM, int *pD){
  int64_t n = nDay + DAYS_0000_TO_1970;         /* days since 0000-01-01 */
  int64_t q = n / DAYS_PER_400Y, r = n % DAYS_PER_400Y;
  int64_t y;
  int m, bLeap;
  if( r<0 ){
    r += DAYS_PER_400Y;
    q--;
  }
  y = q*400;
  /* Century c of the cycle; only c==0 starts with a leap year. */
  if( r>=36525 ){
    int64_t c = 1 + (r-36525)/36524;
    r = (r-36525)%36524;
    y += 100*c;
    /* The first 4-year block of this century has 1460 days. */
    if( r<1460 ){
      y += r/365;
      r = r%365;
      goto month;
    }
    r -= 1460;
    y += 4;
  }
  y += 4*(r/1461);
  r = r%1461;
  /* A block of 4 years whose first year is leap (366 days). */
  if( r>=366 ){
    y += 1 + (r-366)/365;
    r = (r-366)%365;
  }
month:
  bLeap = isLeap(y);
  for(m=12; daysBeforeMonth(m, bLeap)>r; m--){}
  *pY = y;
  *pM = m;
  *pD = (int)(r - daysBeforeMonth(m, bLeap)) + 1;
}

/* Read exactly nDigit digits at z[*pi]; -1 if they are not there. */
static int timeDigits(const char *z, size_t *pi, int nDigit){
  int v = 0, k;
  for(k=0; k<nDigit; k++){
    char c = z[*pi + k];
    if( c<'0' || c>'9' ) return -1;
    v = v*10 + (c-'0');
  }
  *pi += nDigit;
  return v;
}

int tsmTimeParse(const char *z, int64_t *pMs, char *zErr, size_t nErr){
  size_t i = 0;
  int Y, M, D, h = 0, mi = 0, s = 0, ms = 0;
  int64_t nOff = 0;                 /* zone offset, seconds east of UTC */

  if( z==0 ) z = "";
  Y = timeDigits(z, &i, 4);
  if( Y<0 || z[i++]!='-' ) goto error;
  M = timeDigits(z, &i, 2);
  if( M<1 || M>12 || z[i++]!='-' ) goto error;
  D = timeDigits(z, &i, 2);
  if( D<1 || D>daysInMonth(Y, M) ) goto error;
  if( z[i]=='T' || z[i]==' ' ){
    i++;
    h = timeDigits(z, &i, 2);
    if( h<0 || h>23 || z[i++]!=':' ) goto error;
    mi = timeDigits(z, &i, 2);
    if( mi<0 || mi>59 ) goto error;
    if( z[i]==':' ){
      i++;
      s = timeDigits(z, &i, 2);
      if( s<0 || s>59 ) goto error;
      if( z[i]=='.' ){
        int k = 0;
        i++;
        if( z[i]<'0' || z[i]>'9' ) goto error;
        for(; z[i]>='0' && z[i]<='9'; i++, k++){
          if( k<3 ) ms = ms*10 + (z[i]-'0');
        }
        for(; k<3; k++) ms *= 10;
      }
    }
    if( z[i]=='Z' || z[i]=='z' ){
      i++;
    }else if( z[i]=='+' || z[i]=='-' ){
      int bNeg = z[i]=='-';
      int oh, om;
      i++;
      oh = timeDigits(z, &i, 2);
      if( oh<0 || oh>23 ) goto error;
      if( z[i]==':' ) i++;
      om = timeDigits(z, &i, 2);
      if( om<0 || om>59 ) goto error;
      nOff = (int64_t)(oh*3600 + om*60) * (bNeg ? -1 : 1);
    }
  }
  if( z[i]!=0 ) goto error;
  *pMs = (daysFromCivil(Y, M, D)*86400 + h*3600 + mi*60 + s - nOff)*1000 + ms;
  return 0;

error:
  {
    char zQ[PARSE_QUOTE_BUF];
    parseErr(zErr, nErr, "invalid time %s: expected ISO-8601 like "
             "2026-01-25T18:59:19.123Z", parseQuoteStr(zQ, z));
  }
  return -1;
}

void tsmTimeFormat(int64_t ms, char *z){
  int64_t nDay = ms / MS_PER_DAY, nMs = ms % MS_PER_DAY;
  int64_t y;
  int m, d;
  char zBuf[64];
  if( nMs<0 ){
    nMs += MS_PER_DAY;
    nDay--;
  }
  civilFromDays(nDay, &y, &m, &d);
  /* At most 30 bytes: years are within +-292278994. */
  snprintf(zBuf, sizeof(zBuf), "%s%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
           y<0 ? "-" : "", (long long)(y<0 ? -y : y), m, d,
           (int)(nMs/3600000), (int)(nMs/60000%60), (int)(nMs/1000%60),
           (int)(nMs%1000));
  memcpy(z, zBuf, strlen(zBuf)+1);
}
