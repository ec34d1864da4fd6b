/* SPDX-License-Identifier: MIT */
/*
** tsm.h -- the public interface of tsm, time-series metrics inside SQLite.
**
** For an application that links SQLite itself and wants tsm in every
** connection it opens, link the static library (make install puts
** lib/libtsm.a and this header under PREFIX):
**
**   #include <sqlite3.h>
**   #include <tsm.h>
**   sqlite3_auto_extension((void(*)(void))sqlite3_tsm_init);
**
**   cc app.c -ltsm -lsqlite3 -lpcre2-8 -lsnappy -lzstd -lm
**   (or: cc app.c $(pkg-config --libs --static tsm))
**
** The loadable extension (lib/tsm.so) needs no header: load it with
** `.load PREFIX/lib/tsm` or sqlite3_load_extension().  Everything else is
** SQL: see README.md.
*/
#ifndef TSM_PUBLIC_H
#define TSM_PUBLIC_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers every tsm function and table on db.  Returns SQLITE_OK, or an
** error code with a message in *pzErrMsg (from sqlite3_malloc).  pApi is
** ignored by the static library. */
int sqlite3_tsm_init(sqlite3 *db, char **pzErrMsg,
                     const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif
#endif /* TSM_PUBLIC_H */
