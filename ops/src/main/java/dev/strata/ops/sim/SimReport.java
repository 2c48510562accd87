package dev.strata.ops.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The HTML report of a run: one self-contained file (uPlot and the run's figures are inside it, so it
 * opens without a network), with tables that read without script and charts drawn by it: latency
 * percentiles per operation, throughput over time, and the daemon's resources over time.
 */
final class SimReport {
    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

    private SimReport() {
    }

    @SuppressWarnings("unchecked")
    static String html(Map<String, Object> report) {
        Map<String, Object> scenario = (Map<String, Object>) report.get("scenario");
        StringBuilder body = new StringBuilder();
        body.append("<h1>strata sim: ").append(escape(String.valueOf(scenario.get("name")))).append("</h1>\n");
        Map<String, Object> run = (Map<String, Object>) report.get("run");
        body.append("<p>").append(escape(scenario.get("agents") + " agents, arrival " + scenario.get("arrival") + ", "
                + scenario.get("duration_s") + " s, seed " + scenario.get("seed") + "; run " + run.get("id") + " started "
                + run.get("started_at") + " on " + run.get("cpus") + " CPUs"));
        if (Boolean.TRUE.equals(run.get("interrupted"))) {
            body.append(" <b>(interrupted: the figures are partial)</b>");
        }
        body.append("</p>\n");
        list(body, "Incidents", (List<String>) report.get("incidents"));
        list(body, "Left behind", (List<String>) report.get("leftovers"));
        body.append("<h2>Latency percentiles per operation</h2>\n<div class=\"chart\" id=\"latency\"></div>\n");
        body.append("<h2>Throughput over time (operations per second)</h2>\n<div class=\"chart\" id=\"throughput-strata\"></div>\n");
        if (report.containsKey("native")) {
            body.append("<h3>native baseline</h3>\n<div class=\"chart\" id=\"throughput-native\"></div>\n");
        }
        if (report.containsKey("daemon")) {
            body.append("<h2>The daemon's resources</h2>\n<div class=\"chart\" id=\"daemon-cpu\"></div>\n<div class=\"chart\" id=\"daemon-threads\"></div>\n");
        }
        if (report.containsKey("ratios")) {
            body.append("<h2>Strata over the native baseline</h2>\n<p>Latency ratios above 1 are slower than the plain directory;"
                    + " throughput ratios below 1 are fewer operations per second.</p>\n");
            table(body, (Map<String, Object>) report.get("ratios"), List.of("p50", "p99", "ops_per_s"));
        }
        for (String target : List.of("strata", "native")) {
            Map<String, Object> t = (Map<String, Object>) report.get(target);
            if (t == null) {
                continue;
            }
            body.append("<h2>").append(target).append(": operations</h2>\n");
            table(body, (Map<String, Object>) t.get("operations"),
                    List.of("count", "errors", "ops_per_s", "mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"));
            Map<String, Object> errors = (Map<String, Object>) t.get("errors");
            if (errors != null && !errors.isEmpty()) {
                body.append("<h3>errors</h3>\n<table>");
                errors.forEach((k, v) -> body.append("<tr><td>").append(escape(k)).append("</td><td>").append(v).append("</td></tr>"));
                body.append("</table>\n");
            }
        }
        Map<String, Object> daemon = (Map<String, Object>) report.get("daemon");
        if (daemon != null && daemon.get("opcodes") instanceof Map<?, ?> opcodes) {
            body.append("<h2>The daemon's own count of kernel requests during the run</h2>\n<table><tr><th>opcode</th><th>requests</th>"
                    + "<th>mean answer (us)</th></tr>");
            Map<String, Object> means = (Map<String, Object>) daemon.getOrDefault("answer_mean_us", Map.of());
            ((Map<String, Object>) opcodes).forEach((k, v) -> body.append("<tr><td>").append(escape(k)).append("</td><td>").append(v)
                    .append("</td><td>").append(means.getOrDefault(k, "")).append("</td></tr>"));
            body.append("</table>\n");
        } else if (daemon != null && daemon.get("metrics_problem") != null) {
            body.append("<p>The daemon's meters were not read: ").append(escape(String.valueOf(daemon.get("metrics_problem")))).append("</p>\n");
        }
        // Gson escapes <, > and & in strings, so the data cannot end its script element
        String data = new com.google.gson.Gson().toJson(report);
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>strata sim report</title>
                <style>%s
                body { font: 14px system-ui, sans-serif; margin: 2em; max-width: 1200px; color: #222 }
                table { border-collapse: collapse; margin: 0.5em 0 1.5em } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right }
                td:first-child, th:first-child { text-align: left } .chart { margin: 0.5em 0 1.5em; min-height: 320px }
                </style>
                <script>%s</script>
                </head><body>
                %s
                <script type="application/json" id="data">%s</script>
                <script>%s</script>
                </body></html>
                """.formatted(resource(UPLOT + "uPlot.min.css"), resource(UPLOT + "uPlot.iife.min.js"), body, data, CHARTS);
    }

    private static void list(StringBuilder body, String title, List<String> items) {
        if (items == null || items.isEmpty()) {
            return;
        }
        body.append("<h2>").append(title).append("</h2>\n<ul>");
        items.forEach(i -> body.append("<li>").append(escape(i)).append("</li>"));
        body.append("</ul>\n");
    }

    @SuppressWarnings("unchecked")
    private static void table(StringBuilder body, Map<String, Object> rows, List<String> columns) {
        body.append("<table><tr><th>operation</th>");
        columns.forEach(c -> body.append("<th>").append(c).append("</th>"));
        body.append("</tr>\n");
        rows.forEach((kind, row) -> {
            body.append("<tr><td>").append(escape(kind)).append("</td>");
            columns.forEach(c -> body.append("<td>").append(((Map<String, Object>) row).getOrDefault(c, "")).append("</td>"));
            body.append("</tr>\n");
        });
        body.append("</table>\n");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String resource(String name) {
        try (InputStream in = SimReport.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the report's chart library is missing from the class path: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Draws every chart from the embedded figures; a chart marks itself data-rendered="true" once its
     * canvas holds a drawing (a test opens the report in a browser and looks for that mark).
     */
    private static final String CHARTS = """
            const R = JSON.parse(document.getElementById('data').textContent);
            const palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf',
                             '#393b79','#637939','#8c6d31','#843c39','#7b4173','#3182bd'];
            const width = Math.min(1150, document.body.clientWidth - 20);
            function marked(u) {
              const c = u.root.querySelector('canvas');
              const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let ink = 0;
              for (let i = 3; i < px.length && ink < 200; i += 4) { if (px[i] !== 0) ink++; }
              u.root.parentNode.dataset.rendered = ink >= 200 ? 'true' : 'blank';
            }
            function chart(id, title, series, data, scales, axes) {
              const el = document.getElementById(id);
              if (!el) return;
              new uPlot({ title, width, height: 300, series, scales: scales || { x: { time: false } }, axes,
                          hooks: { draw: [marked] } }, data, el);
            }
            // latency: one point per operation and percentile, on a log scale
            const kinds = Object.keys(R.strata.operations).filter(k => R.strata.operations[k].count > 0);
            const lat = [kinds.map((_, i) => i)];
            const latSeries = [{ label: 'operation' }];
            const targets = R.native ? ['strata', 'native'] : ['strata'];
            let color = 0;
            for (const t of targets) {
              for (const p of ['p50_us', 'p99_us', 'p999_us']) {
                lat.push(kinds.map(k => { const o = R[t].operations[k]; return o && o.count > 0 ? Math.max(o[p], 0.1) : null; }));
                latSeries.push({ label: t + ' ' + p, stroke: palette[color], width: 0, paths: () => null,
                                 points: { show: true, size: 9, fill: palette[color++] } });
              }
            }
            chart('latency', 'latency (log scale)', latSeries, lat,
                  { x: { time: false, range: [-0.5, kinds.length - 0.5] }, y: { distr: 3 } },
                  [{ splits: () => kinds.map((_, i) => i), values: (u, v) => v.map(i => kinds[i] || ''), rotate: -30, size: 70 },
                   { size: 60, values: (u, v) => v.map(us => us == null || Math.abs(Math.log10(us) - Math.round(Math.log10(us))) > 1e-6 ? ''
                       : us >= 1e6 ? us / 1e6 + ' s' : us >= 1e3 ? us / 1e3 + ' ms' : us + ' us') }]);
            // throughput: operations per second of each kind over the run
            for (const t of targets) {
              const per = R[t].ops_per_second;
              const names = Object.keys(per);
              const n = Math.max(0, ...names.map(k => per[k].length));
              const data = [Array.from({ length: n }, (_, i) => i)];
              const series = [{ label: 's' }];
              names.forEach((k, i) => { data.push(Array.from({ length: n }, (_, j) => per[k][j] || 0));
                                         series.push({ label: k, stroke: palette[i % palette.length], width: 1.5 }); });
              chart('throughput-' + t, t + ': operations per second', series, data);
            }
            // the daemon: CPU and memory, threads and descriptors, once a second
            if (R.daemon && R.daemon.samples && R.daemon.samples.length) {
              const s = R.daemon.samples;
              const t = s.map(x => x.t_s);
              chart('daemon-cpu', 'daemon CPU (% of one core) and RSS (MiB)',
                    [{ label: 's' }, { label: 'CPU %', stroke: palette[3], scale: '%' }, { label: 'RSS MiB', stroke: palette[0], scale: 'MiB' }],
                    [t, s.map(x => x.cpu_pct), s.map(x => x.rss_mib)],
                    { x: { time: false }, '%': {}, MiB: {} },
                    [{}, { scale: '%', label: '% CPU' }, { scale: 'MiB', side: 1, label: 'MiB', grid: { show: false } }]);
              chart('daemon-threads', 'daemon threads and open descriptors',
                    [{ label: 's' }, { label: 'threads', stroke: palette[2] }, { label: 'fds', stroke: palette[4] }],
                    [t, s.map(x => x.threads), s.map(x => x.fds)]);
            }
            """;
}
