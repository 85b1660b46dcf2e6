/*
 * tools/gen_pml_pkg.c - write the SystemVerilog package pml_hw_pkg from
 * model/pml/pml_hw.h, so the RTL unit (model/pml/rtl/pml_unit.sv) and the C
 * model take their constants from one source. Usage: gen_pml_pkg > FILE.sv
 */
#include "pml_hw.h"

#include <stdio.h>

int main(void)
{
	printf("// Generated from model/pml/pml_hw.h by tools/gen_pml_pkg.c. Do not edit.\n"
	       "// Waiver: a unit built with another ENTRIES (-GENTRIES=N) does not use\n"
	       "// PML_HW_ENTRIES; every constant here is used by the default build.\n"
	       "/* verilator lint_off UNUSEDPARAM */\n"
	       "package pml_hw_pkg;\n"
	       "    localparam int unsigned PML_HW_ENTRIES = %u;\n"
	       "    localparam int unsigned PML_HW_INDEX_BITS = %d;\n"
	       "    localparam logic [15:0] PML_HW_VMCS_PML_ADDRESS = 16'h%04X;\n"
	       "    localparam logic [15:0] PML_HW_VMCS_GUEST_PML_INDEX = 16'h%04X;\n"
	       "endpackage\n"
	       "/* verilator lint_on UNUSEDPARAM */\n",
	       PML_ENTRIES, __builtin_popcountll(PML_INDEX_MASK),
	       VMCS_PML_ADDRESS, VMCS_GUEST_PML_INDEX);
	return ferror(stdout) ? 1 : 0;
}
