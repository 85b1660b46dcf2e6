/*
 * tests/check_main.c - runs every module's Check suite in one runner.
 */
#include <check.h>
#include <stdlib.h>

Suite *param_suite(void);
Suite *stats_suite(void);
Suite *slt_suite(void);
Suite *readers_suite(void);
Suite *drmemtrace_suite(void);
Suite *gen_suite(void);
Suite *tlb_suite(void);
Suite *cache_suite(void);
Suite *mmu_suite(void);
Suite *pml_suite(void);
Suite *machine_suite(void);
Suite *reach_suite(void);
Suite *sweep_suite(void);
Suite *grant_suite(void);
Suite *io_suite(void);
Suite *calib_suite(void);
Suite *migrate_suite(void);
Suite *dirtylog_suite(void);
Suite *xen_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(param_suite());
	srunner_add_suite(sr, stats_suite());
	srunner_add_suite(sr, slt_suite());
	srunner_add_suite(sr, readers_suite());
	srunner_add_suite(sr, drmemtrace_suite());
	srunner_add_suite(sr, gen_suite());
	srunner_add_suite(sr, tlb_suite());
	srunner_add_suite(sr, cache_suite());
	srunner_add_suite(sr, mmu_suite());
	srunner_add_suite(sr, pml_suite());
	srunner_add_suite(sr, machine_suite());
	srunner_add_suite(sr, reach_suite());
	srunner_add_suite(sr, sweep_suite());
	srunner_add_suite(sr, grant_suite());
	srunner_add_suite(sr, io_suite());
	srunner_add_suite(sr, calib_suite());
	srunner_add_suite(sr, migrate_suite());
	srunner_add_suite(sr, dirtylog_suite());
	srunner_add_suite(sr, xen_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
