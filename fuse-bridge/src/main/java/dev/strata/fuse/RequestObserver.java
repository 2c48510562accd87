package dev.strata.fuse;

/**
 * Told of every kernel request and, for those the bridge hands on, how long its answer took: the
 * daemon's metrics. Called on the reader and replying threads, so it must cost nanoseconds.
 */
public interface RequestObserver {
    RequestObserver NONE = new RequestObserver() {
        @Override
        public void received(Operation operation) {
        }

        @Override
        public void answered(Operation operation, long nanos, boolean error) {
        }
    };

    void received(Operation operation);

    void answered(Operation operation, long nanos, boolean error);
}
