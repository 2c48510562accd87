#!/bin/sh
# Real programs as an ordinary user (uid 65534) in DIR: git (init, add, commit, clone, gc), tar and
# rsync round trips, a C build with make, a python venv with a pip install from a local wheel, and
# sqlite3 in WAL mode under concurrent writers. Each prints a line that must be the same on the host's
# disk and in an editable runtime.   programs.sh DIR HELPERS
set -e
cd "$1" && mkdir -m 1777 work && cd work
exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i HOME="$PWD" PATH=/usr/bin:/bin HELPERS="$2" \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 sh -e -c '
git init -q origin
cd origin && echo one > a && git add a && git -c user.email=n@example.com -c user.name=n commit -qm one && cd ..
git clone -q origin clone
echo "git clone: $(cat clone/a), $(git -C clone rev-list --count HEAD) commit"
git -C clone gc -q && git -C clone fsck --no-progress && echo "git gc and fsck: ok"

mkdir -p src/sub && for i in 1 2 3; do echo "file $i" > src/f$i; done && ln -s f1 src/link && echo deep > src/sub/d
chmod 0750 src/sub && touch -d "2020-01-01 00:00:00" src/f2
tar -cf t.tar src && mkdir untarred && tar -C untarred -xf t.tar && diff -r src untarred/src && echo "tar: the same tree"
command -v rsync >/dev/null && rsync -a src/ synced/ && diff -r src synced && [ "$(stat -c %a:%Y synced/sub synced/f2)" = "$(stat -c %a:%Y src/sub src/f2)" ] \
    && echo "rsync: the same tree, modes and times"

printf "int two(void);\nint main(void) { return two() - 2; }\n" > main.c
printf "int two(void) { return 2; }\n" > two.c
printf "prog: main.o two.o\n\tcc -o prog main.o two.o\n" > Makefile
make -s && ./prog && echo "make: built, and it ran"
make -q && echo "make: up to date"
sleep 1 && touch two.c && ! make -q && make -s && echo "make: rebuilt after a change"

# (a machine without python3-venv or rsync leaves their lines out, on the host and in the runtime alike)
python3 -m venv venv 2>/dev/null && venv/bin/python -c "import sys; print(\"venv:\", sys.prefix != sys.base_prefix)" \
    && python3 "$HELPERS/wheel.py" . && venv/bin/pip install -q --no-index --no-cache-dir ./strata_demo-1.0-py3-none-any.whl \
    && venv/bin/python -c "import strata_demo; print(\"pip install:\", strata_demo.VALUE)"

python3 "$HELPERS/sqlite_writers.py" db.sqlite
'
