/*
 * sim/cli/main.c - the slatsim command line: dispatch to one file per
 * command (run.c, explain.c, params.c, trace.c, reach.c, sweep.c, plot.c,
 * calibrate.c, migrate.c, diff.c, complete.c).
 *
 * The command line is the only place that prints errors and exits (cli.h
 * gives the exit statuses).
 */
#include "cli.h"
#include "machine.h"

#include <stdio.h>
#include <string.h>

static const char *const main_usage =
	"usage: slatsim COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  run [--config FILE] [--set key=value]... [--json FILE] [--vs SETTING]... [-q] TRACE\n"
	"                         replay TRACE through the model and print the report\n"
	"  reach [--config FILE] [--set key=value]... [--json FILE] [--plot F.png|F.svg] TRACE\n"
	"                         TLB misses of every fully-associative LRU size in one pass\n"
	"  sweep --grid 'key=v1,v2'... [--config FILE] [--set key=value]... [-j N]\n"
	"        [--out DIR] TRACE...\n"
	"                         every combination of the grid, one decode per trace; also\n"
	"                         --emit slurm|gnu-parallel and --collect DIR\n"
	"  plot reach|sweep|cycles|rounds INPUT... -o OUT.png|OUT.svg\n"
	"                         chart what reach, sweep and run --json wrote (gnuplot)\n"
	"  migrate [--config FILE] [--set key=value]... [--json FILE] [--vs SETTING]... TRACE\n"
	"                         live-migrate the traced guest by pre-copy: rounds, pages,\n"
	"                         downtime, mapping cost, lost pages, guest slowdown\n"
	"  diff [--all] [--stats PATTERN]... A.json B.json\n"
	"                         compare two results on disk (run/migrate --json, a sweep's\n"
	"                         points/N.json): differing parameters, statistics with B/A\n"
	"  explain [--config FILE] [--set key=value]... [--access r|w|x] GVA\n"
	"                         print one translation step by step\n"
	"  params [--json] [--config FILE] [--set key=value]... [PATTERN]...\n"
	"                         list the parameters ('tlb.l2', '*.latency'), room by room:\n"
	"                         type, default, unit, range, help\n"
	"  trace info [--format F] [--json] TRACE\n"
	"                         count records, vCPUs and the footprint of a trace\n"
	"  trace import [--format F] [--desc TEXT] [--vcpus N] [--level N] IN OUT.slt\n"
	"                         convert a lackey, ChampSim, drmemtrace or text trace ('-' =\n"
	"                         stdin) to .slt\n"
	"  trace gen --pattern P [options] -o OUT.slt\n"
	"                         write a synthetic trace (see 'slatsim trace gen --help')\n"
	"  calibrate [--config FILE] [--set key=value]... [--json FILE] [--plot F.png]\n"
	"            [--fit]      measure the host with build/chase, replay the same pattern\n"
	"                         through the model, compare (see 'slatsim calibrate --help')\n"
	"  completion bash        print the bash completion (commands, options, keys)\n"
	"\n"
	"TRACE may be .slt, valgrind lackey output, a ChampSim trace or a text trace,\n"
	"plain, gzip or xz compressed, or '-' for standard input, or a DynamoRIO\n"
	"drmemtrace capture (its directory, DIR/trace, or one per-thread file: zip,\n"
	"gzip, zlib or plain; each thread a vCPU); the format is detected from the\n"
	"content unless --format slt|lackey|champsim|text|drmemtrace is given.\n"
	"'slatsim COMMAND --help' (or 'slatsim help COMMAND') describes one command.\n"
	"A long command (run, sweep, migrate, reach, trace gen and import, calibrate)\n"
	"draws one progress line on stderr when it is a terminal - percent, rate, time\n"
	"left - unless -q/--quiet.\n"
	"Exit status: 0 success, 2 bad input (usage, trace, config or parameter),\n"
	"1 internal failure, out of memory or an output that could not be written,\n"
	"128+N when signal N interrupted it (130 SIGINT, 143 SIGTERM). Outputs are\n"
	"written to a temporary file and renamed into place when complete; a special\n"
	"file (/dev/null, a FIFO) is written in place; nothing that existed is removed.\n";

static const char *const trace_usage =
	"usage: slatsim trace info|import|gen [ARGS]\n"
	"\n"
	"  trace info [--format F] [--json] TRACE\n"
	"                         count records, vCPUs and the footprint of a trace\n"
	"  trace import [--format F] [--desc TEXT] [--vcpus N] [--level N] IN OUT.slt\n"
	"                         convert a lackey, ChampSim, drmemtrace or text trace ('-' =\n"
	"                         stdin) to .slt\n"
	"  trace gen --pattern P [options] -o OUT.slt\n"
	"                         write a synthetic trace\n"
	"\n"
	"'slatsim trace SUBCOMMAND --help' (or 'slatsim help trace SUBCOMMAND') describes\n"
	"one.\n";

/* The commands and what runs them (trace and help: dispatch's own). */
typedef struct verb {
	const char *name, *full;   /* FULL: the command as messages name it */
	int (*fn)(args *a);
} verb;
static const verb commands[] = {
	{ "run", "run", cmd_run }, { "params", "params", cmd_params }, { "trace", "trace", NULL },
	{ "help", "help", NULL }, { "explain", "explain", cmd_explain },
	{ "reach", "reach", cmd_reach }, { "sweep", "sweep", cmd_sweep },
	{ "plot", "plot", cmd_plot }, { "calibrate", "calibrate", cmd_calibrate },
	{ "migrate", "migrate", cmd_migrate }, { "diff", "diff", cmd_diff },
	{ "completion", "completion", cmd_completion },
};
static const verb trace_cmds[] = {
	{ "info", "trace info", cmd_trace_info }, { "import", "trace import", cmd_trace_import },
	{ "gen", "trace gen", cmd_trace_gen },
};

static const verb *find_verb(const char *got, const verb *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].fn && strcmp(got, list[i].name) == 0)
			return &list[i];
	return NULL;
}

static void unknown_command(const char *what, const char *got, const verb *list, size_t n)
{
	const char *best = NULL;
	size_t bd = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = param_edit_distance(got, list[i].name);
		if (d < bd) {
			bd = d;
			best = list[i].name;
		}
	}
	if (best)
		cli_usage_error(NULL, "unknown %s '%s' (did you mean '%s'?)", what, got, best);
	cli_usage_error(NULL, "unknown %s '%s'", what, got);
}

static int dispatch(int argc, char **argv, outset *outs)
{
	if (argc < 2) {
		fputs(main_usage, stderr);
		return EXIT_BAD;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "help") == 0 && argc > 2 && argc <= 4) {
		/* "help CMD [SUB]" is "CMD [SUB] --help": the command's own text. */
		char *h[5] = { argv[0], argv[2], argc > 3 ? argv[3] : (char *)"--help",
			       argc > 3 ? (char *)"--help" : NULL, NULL };
		if (strcmp(argv[2], "help") == 0 || cli_is_help(argv[2])) {
			fputs(main_usage, stdout);
			return 0;
		}
		if (argc > 3 && strcmp(argv[2], "trace") != 0)
			cli_usage_error(NULL, "help takes one command ('%s' has no subcommands)",
					argv[2]);
		return dispatch(argc, h, outs);
	}
	if (strcmp(cmd, "help") == 0 && argc > 4)
		cli_usage_error(NULL, "help takes a command and, for trace, a subcommand");
	if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("slatsim %s\n", SLATSIM_VERSION);
		return 0;
	}
	args a = { .argc = argc - 2, .i = 0, .argv = argv + 2, .cmd = cmd, .outs = outs,
		   .cmdc = argc, .cmdv = argv };
	const verb *v = find_verb(cmd, commands, sizeof(commands) / sizeof(commands[0]));
	if (v)
		return v->fn(&a);
	if (strcmp(cmd, "trace") == 0) {
		if (argc < 3)
			cli_usage_error(NULL, "trace needs a subcommand: info, import or gen");
		const char *sub = argv[2];
		if (cli_is_help(sub)) {
			fputs(trace_usage, stdout);
			return 0;
		}
		a = (args){ .argc = argc - 3, .i = 0, .argv = argv + 3, .outs = outs, .cmdc = argc,
			    .cmdv = argv };
		v = find_verb(sub, trace_cmds, sizeof(trace_cmds) / sizeof(trace_cmds[0]));
		if (v) {
			a.cmd = v->full;
			return v->fn(&a);
		}
		unknown_command("trace subcommand", sub, trace_cmds,
				sizeof(trace_cmds) / sizeof(trace_cmds[0]));
	}
	unknown_command("command", cmd, commands, sizeof(commands) / sizeof(commands[0]));
	return EXIT_BAD;
}

int main(int argc, char **argv) { return cli_main(argc, argv, dispatch); }
