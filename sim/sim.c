/*
 * sim/sim.c - the replay driver.
 *
 * Records arrive in batches of SIM_BATCH from the trace reader; the replay
 * loop walks the batch with no per-record call into the reader. Until the
 * translation model is composed here, the machine accounts what the pipeline
 * knows: records by kind, instructions and the footprint (sim/tracestat.h).
 */
#include "sim.h"
#include "tracestat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIM_BATCH 4096

static const param_def sim_params[] = {
	{ .name = "seed", .type = PARAM_INT, .def = "1", .unit = "", .min = 0,
	  .max = INT64_MAX, .help = "seed for every random choice (replacement, generators); "
	  "same trace + config + seed gives identical statistics" },
	{ .name = "sim.max_records", .type = PARAM_INT, .def = "0", .unit = "records",
	  .min = 0, .max = INT64_MAX,
	  .help = "stop after this many trace records (0: replay the whole trace)" },
};

struct sim {
	stats_reg *stats;
	tracestat ts;
	uint64_t max_records;
	double elapsed;
	trace_rec batch[SIM_BATCH];
};

void sim_params_register(param_reg *reg)
{
	param_register(reg, sim_params, sizeof(sim_params) / sizeof(sim_params[0]));
}

static void register_stats(sim *s)
{
	stats_reg *st = s->stats;
	tracestat *t = &s->ts;
	stats_add(st, "records", &t->records, "trace records replayed");
	stats_add(st, "reads", &t->reads, "data reads (R)");
	stats_add(st, "writes", &t->writes, "data writes (W)");
	stats_add(st, "ifetches", &t->ifetches, "instruction fetches (X)");
	stats_add(st, "instructions", &t->instructions, "instructions retired (sum of icount)");
	stats_add(st, "vcpus", &t->vcpus, "distinct vCPUs in the trace");
	stats_add(st, "footprint.pages_4k", &t->pages_4k, "distinct 4 KB pages touched");
	stats_add(st, "footprint.pages_4k_written", &t->pages_4k_written,
		  "distinct 4 KB pages written");
	stats_add(st, "footprint.pages_64k", &t->pages_64k, "distinct 64 KB pages touched");
	stats_add(st, "footprint.pages_2m", &t->pages_2m, "distinct 2 MB pages touched");
	stats_add(st, "footprint.crossing_4k", &t->crossing_4k,
		  "accesses that cross a 4 KB boundary");
}

int sim_create(sim **out, const param_reg *params, char *err, size_t errlen)
{
	*out = NULL;
	sim *s = calloc(1, sizeof(*s));
	if (!s || !(s->stats = stats_create()) || tracestat_init(&s->ts) != 0) {
		if (s)
			stats_destroy(s->stats);
		free(s);
		snprintf(err, errlen, "out of memory");
		return TRACE_EIO;
	}
	s->max_records = (uint64_t)param_int(params, "sim.max_records");
	register_stats(s);
	*out = s;
	return TRACE_OK;
}

void sim_destroy(sim *s)
{
	if (!s)
		return;
	tracestat_free(&s->ts);
	stats_destroy(s->stats);
	free(s);
}

stats_reg *sim_stats(sim *s) { return s->stats; }
double sim_elapsed_seconds(const sim *s) { return s->elapsed; }

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_line(trace_reader *r, uint64_t records, double t0, double t)
{
	uint64_t done, total;
	trace_progress(r, &done, &total);
	double el = t - t0, rate = el > 0 ? (double)records / el : 0;
	if (total > 0) {
		double frac = (double)done / (double)total;
		double eta = frac > 0 ? el / frac - el : 0;
		fprintf(stderr, "\r  %5.1f%%  %8.2f M records/s  elapsed %6.1f s  ETA %6.1f s ",
			100.0 * frac, rate / 1e6, el, eta);
	} else {
		fprintf(stderr, "\r  %llu records  %8.2f M records/s  elapsed %6.1f s ",
			(unsigned long long)records, rate / 1e6, el);
	}
	fflush(stderr);
}

int sim_replay(sim *s, trace_reader *r, const sim_replay_opts *o, char *err, size_t errlen)
{
	double t0 = now(), last = t0;
	int shown = 0;
	uint64_t limit = s->max_records ? s->max_records : UINT64_MAX;
	int rc = TRACE_OK;
	for (;;) {
		size_t want = SIM_BATCH;
		if (limit - s->ts.records < want)
			want = (size_t)(limit - s->ts.records);
		if (want == 0)
			break;
		long n = trace_read(r, s->batch, want, err, errlen);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		if (tracestat_add(&s->ts, s->batch, (size_t)n) != 0) {
			snprintf(err, errlen, "out of memory counting the footprint");
			rc = TRACE_EIO;
			break;
		}
		if (o && o->progress && (s->ts.records & 0xffff) < SIM_BATCH) {
			double t = now();
			if (t - last >= 0.5) {
				progress_line(r, s->ts.records, t0, t);
				last = t;
				shown = 1;
			}
		}
	}
	if (shown)
		fprintf(stderr, "\r%72s\r", "");
	s->elapsed = now() - t0;
	return rc;
}
