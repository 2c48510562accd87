#!/bin/sh
# The lower tree the differential probe runs over (src/test/c/posix-probe.c): files, directories,
# symlinks, hard links, FIFOs and a socket, setuid files of two owners, a sticky and a setgid directory.
#   probe-tree.sh DIR     (root: it sets owners)
set -e
t=$1
mkdir -p $t/lower/dir $t/lower/empty $t/sticky $t/setgid-dir
echo "lower content" > $t/lower/file
echo inner > $t/lower/dir/inner
echo hard > $t/lower/hard1 && ln $t/lower/hard1 $t/lower/hard2 && chmod 0666 $t/lower/hard1
ln -s file $t/lower/link-to-file
echo private > $t/lower/root-private && chmod 0600 $t/lower/root-private
echo group > $t/lower/group-only && chown 0:4242 $t/lower/group-only && chmod 0640 $t/lower/group-only
printf '#!/bin/sh\n' > $t/lower/root-exec && chmod 0700 $t/lower/root-exec
mkfifo -m 0666 $t/lower/fifo
# special files are opened by the kernel itself: their modes hold only if the kernel checks them
mkfifo -m 0600 $t/lower/fifo-private
mkfifo -m 0771 $t/lower/fifo-search-only
mkfifo -m 0477 $t/lower/fifo-owner-reads && chown 65534:65534 $t/lower/fifo-owner-reads
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" $t/lower/socket-private && chmod 0600 $t/lower/socket-private
echo s > $t/lower/setuid-root && chmod 04755 $t/lower/setuid-root
echo s > $t/lower/setuid-user && chown 65534:65534 $t/lower/setuid-user && chmod 06777 $t/lower/setuid-user
chmod 01777 $t/sticky && echo r > $t/sticky/root-file && chmod 0666 $t/sticky/root-file
ln -s root-file $t/sticky/root-link
# another user's file and FIFO in the sticky directory: fs.protected_regular and protected_fifos
echo o > $t/sticky/other-file && chown 65533:65533 $t/sticky/other-file && chmod 0666 $t/sticky/other-file
mkfifo -m 0666 $t/sticky/other-fifo && chown 65533:65533 $t/sticky/other-fifo
ln -s root-file $t/sticky/user-link && chown -h 65534:65534 $t/sticky/user-link
chown 0:4242 $t/setgid-dir && chmod 02777 $t/setgid-dir
