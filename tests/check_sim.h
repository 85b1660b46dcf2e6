/*
 * tests/check_sim.h - helpers the suites of sim/ share: a parameter
 * registry with settings, a machine from it, a statistic by name.
 */
#ifndef SLATSIM_CHECK_SIM_H
#define SLATSIM_CHECK_SIM_H

#include <check.h>

#include "machine.h"
#include "replay.h"

/* Every parameter, then the "key=value" SETS (NULL-terminated; may be NULL). */
static inline param_reg *sim_params(const char *const *sets)
{
	param_reg *p = param_create();
	ck_assert_int_eq(machine_params_register(p), PARAM_OK);
	char err[256];
	for (; sets && *sets; sets++)
		ck_assert_msg(param_set_assignment(p, *sets, "test", err, sizeof(err)) == PARAM_OK,
			      "%s", err);
	return p;
}

static inline machine *sim_machine(const param_reg *p)
{
	machine *m;
	char err[256];
	ck_assert_msg(machine_create(&m, p, err, sizeof(err)) == TRACE_OK, "%s", err);
	return m;
}

/* Record R into M as a driver feeds it: its vCPU added just before the
 * first record that needs it (machine_add_vcpu), then machine_access. */
static inline int sim_access(machine *m, const trace_rec *r, machine_result *out)
{
	if (!machine_vcpu_needed(m, r, 1, NULL) && machine_add_vcpu(m, r->vcpu))
		return -1;
	return machine_access(m, r, out);
}

static inline uint64_t sim_stat(stats_reg *s, const char *name)
{
	int found;
	uint64_t v = stats_get(s, name, &found);
	ck_assert_msg(found, "no statistic %s", name);
	return v;
}

#endif
