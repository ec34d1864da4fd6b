# tsm -- time-series metrics inside SQLite.
#   make          build dist/tsm.so
#   make install  dist/tsm.so, dist/libtsm.a and include/tsm.h under
#                 $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
#   make static   build dist/libtsm.a (-DSQLITE_CORE, for sqlite3_auto_extension)
#   make demo     build and run a demonstration on demo.db
#   make test     install the build needs that are missing, build, run every
#                 test (those whose optional tool is missing skip)
#   make check    the Tcl suite again under AddressSanitizer + UBSan
#   make bench    tsm against plain SQLite tables (and DuckDB), ratios
#   make bench-codec   the pure codec alone
#   make fuzz     run the codec and parser fuzzers for FUZZ_SECONDS each
#   make fault    fault injection at every allocation, write and sync
#   make soak     SOAK_KILLS (300) kill -9 of a writer, every commit checked
#   make clean

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra
PREFIX  ?= /usr/local
LIBDIR   = $(PREFIX)/lib
INCDIR   = $(PREFIX)/include
# The one place the version is written is TSM_VERSION in ext/tsm.h.
VERSION := $(shell sed -n 's/^\#define TSM_VERSION "\(.*\)"/\1/p' ext/tsm.h)
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Asserts (the invariants the comments state: chunk bounds, query segments,
# the buffer, tsm_samples' transaction state) are on in every test build:
# make check (dist/asan), build/test_fault and the unit tests.  The release
# builds (dist/tsm.so, dist/libtsm.a) leave them out, as SQLite's do: some
# cost a pass over the data, and a library must not abort its host
# process.  tsm_debug() says which.  make RELFLAGS= keeps them.
RELFLAGS ?= -DNDEBUG

# Pure modules: no SQLite types, unit-tested on their own.
PURE_SRC = ext/alloc.c ext/codec.c ext/parse.c ext/sketch.c ext/format.c ext/agg.c
# SQLite glue.
GLUE_SRC = ext/tsm.c ext/store.c ext/buffer.c ext/func.c \
           ext/vtab_samples.c ext/vtab_series.c
GLUE_SRC += ext/query.c ext/export.c ext/import.c
GLUE_SRC += ext/policy.c ext/rollup.c ext/retention.c ext/vtab_rollups.c \
            ext/vtab_retention.c
GLUE_SRC += ext/metrics.c
SRC      = $(PURE_SRC) $(GLUE_SRC)
# Libraries from Debian (tools/deps.sh installs their -dev packages):
# PCRE2 for selector regexes, snappy for remote-write, zstd for chunks.
LIBS     = -lpcre2-8 -lsnappy -lzstd -lm
HDR      = $(wildcard ext/*.h) include/tsm.h build/migrations.h build/buildinfo.h
MIGRATIONS = $(sort $(wildcard sql/[0-9]*.sql))
UNIT_SRC = $(wildcard test/unit/test_*.c)
UNIT_BIN = $(patsubst test/unit/%.c,build/%,$(UNIT_SRC)) build/test_fault

.PHONY: all static install uninstall demo test check unit deps bench bench-codec fuzz fault soak clean FORCE

all: dist/tsm.so

build/migrations.h: $(MIGRATIONS) tools/embed.sh
	@mkdir -p build
	sh tools/embed.sh $(MIGRATIONS) > $@

# The git commit tsm_debug() reports ("unknown" outside a git checkout),
# rewritten only when it changes.
build/buildinfo.h: FORCE
	@mkdir -p build
	@c=$$(git rev-parse --short=12 HEAD 2>/dev/null) || c=unknown; \
	 [ "$$c" = unknown ] || git diff --quiet HEAD -- 2>/dev/null || c="$$c-dirty"; \
	 echo "#define TSM_COMMIT \"$$c\"" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

# The loadable extension exports sqlite3_tsm_init only (-fvisibility=hidden).
dist/tsm.so: $(SRC) $(HDR)
	@mkdir -p dist
	$(CC) $(CFLAGS) $(RELFLAGS) $(WARN) -fPIC -fvisibility=hidden -shared -Ibuild \
	  -DTSM_CFLAGS='"$(CFLAGS) $(RELFLAGS)"' -o $@ $(SRC) $(LIBS)

dist/asan/tsm.so: $(SRC) $(HDR)
	@mkdir -p dist/asan
	$(CC) $(SANFLAGS) $(WARN) -fPIC -fvisibility=hidden -shared -Ibuild \
	  -DTSM_CFLAGS='"$(SANFLAGS)"' -o $@ $(SRC) $(LIBS)

# The static library, for applications that link SQLite themselves:
# -DSQLITE_CORE calls SQLite directly (no sqlite3_api table); the objects
# are linked into one whose only global symbol is sqlite3_tsm_init.
STATIC_OBJ = $(patsubst ext/%.c,build/static/%.o,$(SRC))
build/static/%.o: ext/%.c $(HDR)
	@mkdir -p build/static
	$(CC) $(CFLAGS) $(RELFLAGS) $(WARN) -fPIC -fvisibility=hidden -DSQLITE_CORE -Ibuild \
	  -DTSM_CFLAGS='"$(CFLAGS) $(RELFLAGS)"' -c -o $@ $<

dist/libtsm.a: $(STATIC_OBJ)
	@mkdir -p dist
	$(LD) -r -o build/static/libtsm.o $(STATIC_OBJ)
	objcopy --localize-hidden build/static/libtsm.o
	rm -f $@
	$(AR) rcs $@ build/static/libtsm.o

static: dist/libtsm.a

install: dist/tsm.so dist/libtsm.a
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)
	install -m 755 dist/tsm.so $(DESTDIR)$(LIBDIR)/tsm.so
	install -m 644 dist/libtsm.a $(DESTDIR)$(LIBDIR)/libtsm.a
	install -m 644 include/tsm.h $(DESTDIR)$(INCDIR)/tsm.h
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
	  'includedir=$${prefix}/include' '' 'Name: tsm' \
	  'Description: time-series metrics inside SQLite (static library)' \
	  'Version: $(VERSION)' 'Requires.private: sqlite3' \
	  'Libs: -L$${libdir} -ltsm' 'Libs.private: $(LIBS)' \
	  'Cflags: -I$${includedir}' > $(DESTDIR)$(LIBDIR)/pkgconfig/tsm.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/tsm.so $(DESTDIR)$(LIBDIR)/libtsm.a \
	  $(DESTDIR)$(INCDIR)/tsm.h $(DESTDIR)$(LIBDIR)/pkgconfig/tsm.pc

# Unit tests of the pure modules, always under ASan + UBSan.
build/test_%: test/unit/test_%.c $(PURE_SRC) ext/*.h test/unit/unit.h
	@mkdir -p build
	$(CC) $(SANFLAGS) $(WARN) -Iext -o $@ $< $(PURE_SRC) $(LIBS)

unit: $(UNIT_BIN)

# Fault injection (test/fault/fault.c): the extension's sources linked with
# the system libsqlite3, under ASan + UBSan + LSan.  make test runs a
# stride of the points (build/test_fault is a unit binary for
# test/all.tcl); make fault runs every point.
build/test_fault: test/fault/fault.c $(SRC) $(HDR)
	@mkdir -p build
	$(CC) $(SANFLAGS) $(WARN) -DSQLITE_CORE -DTSM_CFLAGS='"$(SANFLAGS)"' -Iext -Ibuild \
	  -o $@ $< $(SRC) -lsqlite3 $(LIBS)

# make fault: every point of every kind, one process per kind (each in its
# own directory), FAULT_JOBS at a time; the two long sweeps (oom1, oom)
# first, side by side.
FAULT_KINDS = oom1 oom init cases wio1 wio full1 full sync1 sync
FAULT_JOBS ?= 2
fault: build/test_fault
	$(MAKE) -j$(FAULT_JOBS) $(addprefix fault-,$(FAULT_KINDS))

fault-%: build/test_fault
	TSM_FAULT_DIR=build/tmp/fault-$* build/test_fault --all --kind $*

# Crash soak (test/soak.tcl): SOAK_KILLS kill -9 of a writer at random
# points, mixed journal modes, synchronous settings and transactions.
SOAK_KILLS ?= 300
soak: deps dist/tsm.so
	tclsh test/soak.tcl $(SOAK_KILLS)

deps:
	@sh tools/deps.sh

demo: deps dist/tsm.so
	rm -f demo.db demo.db-wal demo.db-shm
	sqlite3 demo.db < sql/demo.sql

test: deps dist/tsm.so unit
	@tclsh test/all.tcl

check: deps dist/asan/tsm.so unit
	@TSM_SANITIZE=1 tclsh test/all.tcl

bench: deps dist/tsm.so
	$(MAKE) -C bench run SCALE=$(or $(SCALE),1)

bench-codec:
	$(MAKE) -C bench/codec run

FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) -C test/fuzz run SECONDS=$(FUZZ_SECONDS)

clean:
	rm -rf build dist demo.db demo.db-wal demo.db-shm
	-$(MAKE) -C bench clean
