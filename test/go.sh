#!/bin/sh
# SPDX-License-Identifier: MIT
# go.sh -- the Go example of README.md with Debian's mattn/go-sqlite3
# (golang-github-mattn-go-sqlite3-dev), built offline in GOPATH mode, run
# from another directory; and the pool rule: every pooled connection has
# tsm, and plain load_extension() is refused.
NAME=go.sh
. "$(dirname "$0")/helpers/client.sh"
GOSRC=/usr/share/gocode
command -v go >/dev/null 2>&1 || skip_all "no go (Debian: golang-go)"
[ -d $GOSRC/src/github.com/mattn/go-sqlite3 ] ||
  skip_all "no mattn/go-sqlite3 (Debian: golang-github-mattn-go-sqlite3-dev)"
# GOPATH mode, Debian's sources only, as the README says; the build cache
# stays in build/ so that a second run is fast.
export GO111MODULE=off GOPATH="$GOSRC" GOFLAGS= CGO_ENABLED=1
export GOCACHE="$ROOT/build/go-cache"

# 1: the README example, as written.
mkdir -p "$TMP/example"
snippet go > "$TMP/example/main.go"
build_or_finish "go build" sh -c "cd '$TMP/example' && go build -o example main.go"
mkdir -p "$TMP/run"
OUT=$(cd "$TMP/run" && "$TMP/example/example" 2>&1)
check 1.0 "$OUT" '1767225600000 30 145
1767225900000 30 150'

# 2: a pool of 4 connections held open at once: each has tsm and reads
# the same store; SELECT load_extension() is not authorized.
mkdir -p "$TMP/pool"
cat > "$TMP/pool/main.go" <<GOEOF
package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	"github.com/mattn/go-sqlite3"
)

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	sql.Register("sqlite3_tsm", &sqlite3.SQLiteDriver{Extensions: []string{"$EXT"}})
	db, err := sql.Open("sqlite3_tsm", "metrics.db?_journal_mode=WAL&_busy_timeout=5000")
	check(err)
	db.SetMaxOpenConns(4)
	ctx := context.Background()
	var conns []*sql.Conn
	for i := 0; i < 4; i++ {
		c, err := db.Conn(ctx)
		check(err)
		conns = append(conns, c)
	}
	for _, c := range conns {
		var n int64
		check(c.QueryRowContext(ctx, "SELECT count(*) FROM tsm_samples").Scan(&n))
		fmt.Print(n, " ")
	}
	fmt.Println(db.Stats().OpenConnections)
	_, err = conns[0].ExecContext(ctx, "SELECT load_extension(?)", "$EXT")
	fmt.Println(err)
	for _, c := range conns {
		c.Close()
	}
	db.Close()
}
GOEOF
if (cd "$TMP/pool" && go build -o pool main.go) >"$TMP/build2.log" 2>&1; then
  OUT=$(cd "$TMP/run" && "$TMP/pool/pool" 2>&1)
  check 2.0 "$OUT" '60 60 60 60 4
not authorized'
else
  echo "! $NAME 2.0: go build failed"; tail -20 "$TMP/build2.log"
  nfail=$((nfail+1))
fi
finish
