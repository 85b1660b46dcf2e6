/*
 * model/pml/rtl/pml_rtl_absent.c - pml_rtl.h when slatsim is built without
 * Verilator: it says so (pml_rtl_available), and creating an RTL instance
 * fails with that message, so `slatsim run --cosim pml` refuses clearly. No instance can exist,
 * so the other verbs are never reached.
 */
#include "pml_rtl.h"

#include <stdio.h>
#include <stdlib.h>

int pml_rtl_available(char *err, size_t errlen)
{
	snprintf(err, errlen, "this slatsim was built without Verilator, so it has no RTL PML "
		 "unit: install Verilator (apt-get install verilator g++) and run make again");
	return 0;
}

int pml_rtl_create(pml_rtl **out, const pml_rtl_cfg *cfg, char *err, size_t errlen)
{
	(void)cfg;
	*out = NULL;
	pml_rtl_available(err, errlen);
	return -1;
}

#define UNREACHABLE abort()
void pml_rtl_destroy(pml_rtl *r) { if (r) UNREACHABLE; }
void pml_rtl_close_waves(pml_rtl *r) { (void)r; UNREACHABLE; }
int pml_rtl_check_waves(const char *path) { (void)path; UNREACHABLE; }
void pml_rtl_reset(pml_rtl *r, unsigned cycles) { (void)r; (void)cycles; UNREACHABLE; }
int pml_rtl_csr_write(pml_rtl *r, uint16_t f, uint64_t v) { (void)r; (void)f; (void)v; UNREACHABLE; }
int pml_rtl_csr_read(pml_rtl *r, uint16_t f, uint64_t *v) { (void)r; (void)f; (void)v; UNREACHABLE; }
int pml_rtl_request(pml_rtl *r, const pml_event *ev, pml_rtl_resp *out, uint64_t max)
{
	(void)r; (void)ev; (void)out; (void)max;
	UNREACHABLE;
}
int pml_rtl_collide(pml_rtl *r, uint16_t f, uint64_t v, const pml_event *ev, pml_rtl_resp *out,
		    int *w)
{
	(void)r; (void)f; (void)v; (void)ev; (void)out; (void)w;
	UNREACHABLE;
}
void pml_rtl_begin(pml_rtl *r, const pml_event *ev, unsigned c) { (void)r; (void)ev; (void)c; UNREACHABLE; }
uint64_t pml_rtl_cycle(const pml_rtl *r) { (void)r; UNREACHABLE; }
void pml_rtl_set_cycle(pml_rtl *r, uint64_t c) { (void)r; (void)c; UNREACHABLE; }
void pml_rtl_waves(pml_rtl *r, int on) { (void)r; (void)on; UNREACHABLE; }
uint64_t pml_rtl_mem_state(const pml_rtl *r) { (void)r; UNREACHABLE; }
void pml_rtl_set_mem_state(pml_rtl *r, uint64_t s) { (void)r; (void)s; UNREACHABLE; }
int pml_rtl_assert_failed(const pml_rtl *r) { (void)r; UNREACHABLE; }
const char *pml_rtl_variant(void) { return "none (built without Verilator)"; }
