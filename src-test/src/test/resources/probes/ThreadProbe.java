import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Reads FILE from several threads at once and prints what each saw: ThreadProbe FILE. */
public class ThreadProbe {
    public static void main(String[] args) throws Exception {
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try {
                    seen.add(Files.readString(Path.of(args[0])).trim());
                } catch (Exception e) {
                    seen.add("error " + e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        seen.forEach(s -> System.out.println("thread " + s));
    }
}
