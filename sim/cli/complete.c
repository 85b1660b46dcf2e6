/*
 * sim/cli/complete.c - `slatsim completion bash`: the bash completion of
 * this slatsim, printed from what the command line itself knows - its
 * commands, each command's options (cli_command_options, the list the
 * unknown-option suggestion reads) and every parameter key of the registry
 * - so that it cannot drift from the binary. `make` writes it to
 * build/slatsim.bash and `make install` puts it where bash-completion
 * looks (share/bash-completion/completions/slatsim).
 *
 * What it completes: the command (and trace's subcommand, help's command);
 * an option of the command when the word starts with '-'; a parameter key
 * (with '=') after --set, --vs and --grid; an enum parameter's choices
 * after "key="; file names otherwise.
 */
#include "cli.h"
#include "machine.h"

#include <stdio.h>
#include <string.h>

static const char *const completion_usage =
	"usage: slatsim completion bash\n"
	"\n"
	"Print the bash completion of slatsim: commands, each command's options and\n"
	"the parameter keys (and an enum key's values) after --set, --vs and --grid.\n"
	"  source <(slatsim completion bash)     # this shell\n"
	"'make install' installs it (PREFIX/share/bash-completion/completions/slatsim).\n";

/* The commands, as main.c dispatches them (trace's subcommands apart). */
static const char *const complete_cmds[] = {
	"run", "sweep", "reach", "migrate", "diff", "plot", "explain", "params", "trace",
	"calibrate", "help", "completion",
};
static const char *const complete_opt_cmds[] = {
	"run", "sweep", "reach", "migrate", "diff", "plot", "explain", "params", "calibrate",
	"trace info", "trace import", "trace gen",
};

/* S for a bash single-quoted word (no quote can appear in these lists). */
/* The commands, space-separated. */
static void put_cmds(void)
{
	for (size_t i = 0; i < sizeof(complete_cmds) / sizeof(complete_cmds[0]); i++)
		printf("%s%s", i ? " " : "", complete_cmds[i]);
}

static void put_list(const char *s)
{
	fputs(s ? s : "", stdout);
}

int cmd_completion(args *a)
{
	const char *shell = NULL;
	while (a->i < a->argc) {
		if (cli_is_help(a->argv[a->i])) {
			fputs(completion_usage, stdout);
			return 0;
		}
		if (cli_is_option(a))
			cli_unknown_option(a);
		if (shell)
			cli_usage_error(a, "unexpected argument '%s'", a->argv[a->i]);
		shell = a->argv[a->i++];
	}
	if (!shell || strcmp(shell, "bash") != 0)
		cli_usage_error(a, "completion needs a shell: bash (the only one written)");
	param_reg *p = param_create();
	if (!p || machine_params_register(p) != PARAM_OK)
		cli_die(EXIT_FAIL, "out of memory (parameter registry)");
	printf("# bash completion for slatsim %s (written by 'slatsim completion bash')\n",
	       SLATSIM_VERSION);
	fputs("_slatsim_keys='", stdout);
	for (size_t i = 0; i < param_count(p); i++)
		printf("%s%s", i ? " " : "", param_name_at(p, i));
	fputs("'\n_slatsim_choices() {\n\tcase \"$1\" in\n", stdout);
	for (size_t i = 0; i < param_count(p); i++) {
		const param_def *d = param_def_at(p, i);
		if (d->type == PARAM_ENUM) {
			printf("\t%s) echo '", param_name_at(p, i));
			for (const char *c = d->choices; *c; c++)
				putchar(*c == '|' ? ' ' : *c);
			fputs("' ;;\n", stdout);
		} else if (d->type == PARAM_BOOL) {
			printf("\t%s) echo '0 1' ;;\n", param_name_at(p, i));
		} else if (d->flags & PARAM_F_AUTO) {
			printf("\t%s) echo 'auto' ;;\n", param_name_at(p, i));
		}
	}
	fputs("\tesac\n}\n_slatsim_opts() {\n\tcase \"$1\" in\n", stdout);
	for (size_t i = 0; i < sizeof(complete_opt_cmds) / sizeof(complete_opt_cmds[0]); i++) {
		printf("\t'%s') echo '--help ", complete_opt_cmds[i]);
		put_list(cli_command_options(complete_opt_cmds[i]));
		fputs("' ;;\n", stdout);
	}
	fputs("\tesac\n}\n", stdout);
	fputs("_slatsim() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal cmd=${COMP_WORDS[1]} words\n"
	      "\tcompopt +o nospace 2>/dev/null\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", stdout);
	put_cmds();
	fputs(" --help --version' -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [ \"$cmd\" = trace ]; then\n"
	      "\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n"
	      "\t\t\tCOMPREPLY=($(compgen -W 'info import gen --help' -- \"$cur\"))\n"
	      "\t\t\treturn\n"
	      "\t\tfi\n"
	      "\t\tcmd=\"trace ${COMP_WORDS[2]}\"\n"
	      "\tfi\n"
	      "\tif [ \"$cmd\" = help ] || [ \"$cmd\" = completion ]; then\n"
	      "\t\t[ \"$cmd\" = help ] && words='", stdout);
	put_cmds();
	fputs("' || words=bash\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      /* bash splits KEY=VALUE at '=' (COMP_WORDBREAKS): the words are
	       * KEY = [VALUE], and readline completes what follows the '=' */
	      "\tif [ \"$cur\" = = ] || [ \"$prev\" = = ]; then\n"
	      "\t\tlocal i=$COMP_CWORD key\n"
	      "\t\tif [ \"$cur\" = = ]; then key=$prev prev=${COMP_WORDS[i-2]} cur=\n"
	      "\t\telse key=${COMP_WORDS[i-2]} prev=${COMP_WORDS[i-3]}; fi\n"
	      "\t\tcase \"$prev\" in\n"
	      "\t\t--set|--vs|--grid)\n"
	      "\t\t\tcompopt +o filenames 2>/dev/null\n"
	      "\t\t\tCOMPREPLY=($(compgen -W \"$(_slatsim_choices \"$key\")\" -- \"$cur\"))\n"
	      "\t\t\treturn ;;\n"
	      "\t\tesac\n"
	      "\tfi\n"
	      "\tcase \"$prev\" in\n"
	      "\t--set|--vs|--grid)\n"
	      "\t\tif [[ \"$cur\" == *=* ]]; then\n"
	      "\t\t\tlocal key=${cur%%=*}\n"
	      "\t\t\tCOMPREPLY=($(compgen -P \"$key=\" -W \"$(_slatsim_choices \"$key\")\" -- "
	      "\"${cur#*=}\"))\n"
	      "\t\telse\n"
	      "\t\t\tcompopt -o nospace +o filenames 2>/dev/null   # (filenames: KEY\\=)\n"
	      "\t\t\tCOMPREPLY=($(compgen -S = -W \"$_slatsim_keys\" -- \"$cur\"))\n"
	      "\t\tfi\n"
	      "\t\treturn ;;\n"
	      "\tesac\n"
	      "\tif [[ \"$cur\" == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$(_slatsim_opts \"$cmd\")\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [ \"$cmd\" = params ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$_slatsim_keys\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "}\n"
	      "complete -o filenames -F _slatsim slatsim\n", stdout);
	param_destroy(p);
	cli_flush_stdout();
	return 0;
}
