"""Names that are not UTF-8, made and listed byte for byte (Python's bytes paths never decode them).

  raw_names.py make DIR   a tree of such names: files, a directory, a symlink and a hard link
  raw_names.py list DIR   one line per entry: hex path, kind, hex content or link target
"""
import os
import sys


def make(root):
    os.makedirs(root)
    for name in (b'caf\xe9', b'\xff\xfe', b'ok-\xc3\xbc', b'plain', b'q?uestion'):
        with open(os.path.join(root, name), 'wb') as f:
            f.write(b'content of ' + name)
    inner = os.path.join(root, b'd\x80')
    os.mkdir(inner)
    with open(os.path.join(inner, b'f\xc3\x28'), 'wb') as f:
        f.write(b'inner')
    os.symlink(b'../t\xff\x01', os.path.join(root, b'l\xfe'))
    os.link(os.path.join(root, b'plain'), os.path.join(inner, b'hard\xfe'))
    for twin in (b'x\xfe', b'x\xff'):  # one replacement character would make them one name
        os.mkdir(os.path.join(root, twin))
        with open(os.path.join(root, twin, b'in'), 'wb') as f:
            f.write(b'in ' + twin)


def listing(root):
    lines = []
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root).hex()
            if os.path.islink(path):
                lines.append(rel + ' link ' + os.readlink(path).hex())
            elif os.path.isdir(path):
                lines.append(rel + ' dir')
            else:
                with open(path, 'rb') as f:
                    lines.append(rel + ' file ' + f.read().hex() + ' links ' + str(os.lstat(path).st_nlink))
    print('\n'.join(sorted(lines)))


if __name__ == '__main__':
    directory = os.fsencode(sys.argv[2])
    make(directory) if sys.argv[1] == 'make' else listing(directory)
