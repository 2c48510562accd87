package dev.strata.fuse;

/**
 * Told of every kernel request and, for those the bridge hands on, how long its answer took: the
 * daemon's metrics. Called on the reader and replying threads, so it must cost nanoseconds.
 */
public interface RequestObserver {
    RequestObserver NONE = new RequestObserver() {
        @Override
        public void received(int opcode) {
        }

        @Override
        public void answered(int opcode, long nanos, boolean error) {
        }
    };

    void received(int opcode);

    void answered(int opcode, long nanos, boolean error);

    /** The kernel's name of an opcode ("LOOKUP"), or OP_n for one this bridge does not know. */
    static String name(int opcode) {
        return FuseKernel.name(opcode);
    }
}
