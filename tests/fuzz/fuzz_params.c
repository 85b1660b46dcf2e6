/* libFuzzer target: the parameter paths of sweep and migrate. A sweep sets
 * each point's grid values (linked keys: several at once) as key=value
 * assignments on a copy of the command line's registry, domain overrides
 * included, and builds the machine to refuse a configuration before it
 * writes anything; migrate reads its migrate.* keys and builds its two
 * machines. Each input line is one assignment; when every one is taken,
 * the configuration is built (machine_create, then migrate_create when a
 * migrate.* key was set) and must be refused with a message or built and
 * destroyed cleanly. The registry is made once and copied into one working
 * registry per input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "migrate.h"
#include "param.h"
#include "trace.h"

static param_reg *base, *work;   /* (the harness's, made once; WORK is reset to
				    BASE for each input: no 900 KB copy made per input) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	base = param_create();
	work = param_create();
	if (!base || !work || machine_params_register(base) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	param_reg *p = work;
	if (param_copy(p, base) != 0)
		abort();
	char line[600], err[1024];
	int ok = 1, any = 0, mig = 0;
	for (size_t i = 0; i < size && ok;) {
		size_t e = i;
		while (e < size && data[e] != '\n')
			e++;
		size_t n = e - i < sizeof(line) - 1 ? e - i : sizeof(line) - 1;
		memcpy(line, data + i, n);
		line[n] = '\0';
		i = e + 1;
		if (!n || memchr(line, '\0', n))
			continue;
		if (param_set_assignment(p, line, "--set", err, sizeof(err)) != 0) {
			ok = 0;
			if (!err[0] || strchr(err, '\n'))
				__builtin_trap();   /* a refusal is one line */
		}
		any = 1;
		mig |= strncmp(line, "migrate.", 8) == 0;
	}
	if (ok && any) {
		machine *m;
		if (machine_create(&m, p, err, sizeof(err)) == TRACE_OK)
			machine_destroy(m);
		else if (!err[0])
			__builtin_trap();
		migrate *x;
		if (mig && migrate_create(&x, p, err, sizeof(err)) == TRACE_OK)
			migrate_destroy(x);
	}
	return 0;
}
