package dev.strata.ops.sim;

import dev.strata.protocol.CommitBranchRequest;
import dev.strata.protocol.CreateBranchRequest;
import dev.strata.protocol.CreateSnapshotRequest;
import dev.strata.protocol.DeleteBranchRequest;
import dev.strata.protocol.DeleteSnapshotRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * What a simulated agent does, over and over until the run ends. Each names the operations it
 * measures: file operations (walk, stat, read, write, append, mkdir, exec) timed inside the tree, and
 * tree and control-plane operations (runtime.*, snapshot.*, branch.*) timed by the simulator.
 */
enum Personality {
    /** A build job: a runtime, a walk of the sources, reads, compiler runs from the layer, objects written, the end. */
    BUILD(Map.of("editable", Setting.FLAG, "reads", Setting.COUNT, "compiles", Setting.COUNT, "object-bytes", Setting.BYTES)) {
        @Override
        void run(Agent a) throws Worker.Gone {
            boolean editable = a.mix.flag("editable", true);
            int reads = a.mix.integer("reads", 40);
            int compiles = a.mix.integer("compiles", 4);
            int objectBytes = a.mix.bytes("object-bytes", 64 * 1024);
            while (a.running()) {
                String runtime = a.next("build");
                Worker tree = a.timed("runtime.start", () -> a.target.startTree(runtime, editable));
                if (tree == null) {
                    continue;
                }
                // an editable runtime builds in its tree; a read-only one out of it, as an out-of-tree build directory
                String out = editable ? "out/" + runtime : a.target.log.resolveSibling("objects").resolve(runtime).toString();
                try {
                    a.file(tree, "walk", "walk src");
                    for (int i = 0; i < reads && a.running(); i++) {
                        String f = a.sourceFile();
                        a.file(tree, "stat", "stat " + f);
                        a.file(tree, "read", "read " + f);
                    }
                    a.file(tree, "mkdir", "mkdir " + out);
                    for (int i = 0; i < compiles && a.running(); i++) {
                        String f = a.sourceFile();
                        a.file(tree, "exec", "exec bin/cc --cc " + f + " " + out + "/" + i + ".o");
                    }
                    a.file(tree, "write", "write " + out + "/linked " + objectBytes);
                } finally {
                    a.end(tree);
                }
            }
        }
    },

    /**
     * An AI agent: a branch of its own from the shared snapshot, one tree bound to it for its whole life;
     * each round edits files, writes a note, runs a test-like read burst, snapshots the branch, binds a
     * second tree that must see the note, and sometimes commits. At its end the branch is discarded.
     */
    AGENT(Map.of("edits", Setting.COUNT, "reads", Setting.COUNT, "commit-chance", Setting.CHANCE)) {
        @Override
        void run(Agent a) throws Worker.Gone {
            int edits = a.mix.integer("edits", 4);
            int reads = a.mix.integer("reads", 30);
            double commitChance = a.mix.fraction("commit-chance", 0.2);
            Target.Strata strata = a.target instanceof Target.Strata s ? s : null;
            String branch = a.name + "-branch";
            if (strata != null) {
                String shared = strata.seedSnapshot;
                if (a.timed("branch.create", () -> strata.call(c -> c.createBranch(
                        CreateBranchRequest.newBuilder().setSnapshot(shared).setName(branch).build()))) == null) {
                    return;
                }
                strata.branches.add(branch);
            }
            Worker main = strata != null ? a.timed("branch.bind", () -> strata.joinBranch(branch))
                    : a.timed("branch.bind", () -> a.target.startTree(branch, true));
            Deque<String> snapshots = new ArrayDeque<>();
            try {
                for (int round = 0; main != null && a.running(); round++) {
                    for (int i = 0; i < edits; i++) {
                        a.file(main, "append", "append " + a.sourceFile() + " 256");
                    }
                    String note = "notes/" + a.name + "-" + round;
                    a.file(main, "write", "write " + note + " 1024");
                    for (int i = 0; i < reads; i++) {
                        a.file(main, "read", "read " + a.sourceFile());
                    }
                    a.file(main, "walk", "walk src");
                    if (strata != null) {
                        String snapshot = a.next("snap");
                        if (a.timed("snapshot.create", () -> strata.call(c -> c.createSnapshot(
                                CreateSnapshotRequest.newBuilder().setRuntime(branch).setName(snapshot).build()))) != null) {
                            strata.snapshots.add(snapshot);
                            snapshots.add(snapshot);
                        }
                        while (snapshots.size() > 2) {
                            deleteSnapshot(a, strata, snapshots.removeFirst());
                        }
                    }
                    // a second process tree on the same branch sees what the first wrote
                    Worker second = strata != null ? a.timed("branch.bind", () -> strata.joinBranch(branch))
                            : a.timed("branch.bind", () -> a.target.startTree(branch, true));
                    if (second != null) {
                        try {
                            a.file(second, "read", "read " + note);
                        } finally {
                            a.end(second);
                        }
                    }
                    if (strata != null && a.random.nextDouble() < commitChance) {
                        a.timed("branch.commit", () -> strata.call(c -> c.commitBranch(CommitBranchRequest.newBuilder().setBranch(branch)
                                .setMessage("strata sim: " + a.name).build())));
                    }
                }
            } finally {
                a.end(main);
                if (strata != null) {
                    while (!snapshots.isEmpty()) {
                        deleteSnapshot(a, strata, snapshots.removeFirst());
                    }
                    if (a.timed("branch.delete", () -> strata.call(c -> c.deleteBranch(DeleteBranchRequest.newBuilder().setBranch(branch).build())))
                            != null) {
                        strata.branches.remove(branch);
                    }
                }
            }
        }
    },

    /** Many short runtimes, each running one binary from the layer: start-up cost, and page-cache sharing. */
    EXEC(Map.of()) {
        @Override
        void run(Agent a) {
            while (a.running()) {
                String runtime = a.next("exec");
                String source = a.sourceFile();
                a.timed("runtime.exec", () -> {
                    int code = a.target.runOnce(runtime, source);
                    if (code != 0) {
                        throw new Worker.Gone("exited " + code);
                    }
                    return code;
                });
            }
        }
    },

    /** Control-plane load: runtimes, snapshots and branches made and ended at a steady pace. */
    CHURN(Map.of()) {
        @Override
        void run(Agent a) throws Worker.Gone {
            Target.Strata strata = a.target instanceof Target.Strata s ? s : null;
            while (a.running()) {
                String runtime = a.next("churn");
                Worker tree = a.timed("runtime.start", () -> a.target.startTree(runtime, true));
                if (tree == null) {
                    continue;
                }
                try {
                    a.file(tree, "write", "write notes/" + runtime + " 512");
                    if (strata != null) {
                        String snapshot = runtime + "-s";
                        if (a.timed("snapshot.create", () -> strata.call(c -> c.createSnapshot(
                                CreateSnapshotRequest.newBuilder().setRuntime(runtime).setName(snapshot).build()))) != null) {
                            strata.snapshots.add(snapshot);
                            String branch = runtime + "-b";
                            if (a.timed("branch.create", () -> strata.call(c -> c.createBranch(
                                    CreateBranchRequest.newBuilder().setSnapshot(snapshot).setName(branch).build()))) != null) {
                                strata.branches.add(branch);
                                if (a.timed("branch.delete", () -> strata.call(c -> c.deleteBranch(
                                        DeleteBranchRequest.newBuilder().setBranch(branch).build()))) != null) {
                                    strata.branches.remove(branch);
                                }
                            }
                            deleteSnapshot(a, strata, snapshot);
                        }
                    }
                } finally {
                    a.end(tree);
                }
            }
        }
    };

    /** The kinds of value a setting takes. */
    enum Setting { FLAG, COUNT, BYTES, CHANCE }

    private final Map<String, Setting> settings;

    Personality(Map<String, Setting> settings) {
        this.settings = settings;
    }

    /** The settings this personality reads, by name. */
    Map<String, Setting> settings() {
        return settings;
    }

    abstract void run(Agent a) throws Worker.Gone;

    private static void deleteSnapshot(Agent a, Target.Strata strata, String snapshot) {
        if (a.timed("snapshot.delete", () -> strata.call(c -> c.deleteSnapshot(DeleteSnapshotRequest.newBuilder().setName(snapshot).build())))
                != null) {
            strata.snapshots.remove(snapshot);
        }
    }
}
