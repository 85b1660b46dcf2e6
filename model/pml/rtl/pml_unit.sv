// model/pml/rtl/pml_unit.sv - Intel Page-Modification Logging unit.
//
// One unit per logical processor. The EPT walker hands it one request per
// A/D update it is about to make (valid/ready); the unit answers with one
// response: go ahead (and whether it logged), or log-full (the update must not
// happen and the access does not occur: VM exit reason 62).
//
// Behaviour (Intel SDM-2016 §28.2.5; ../../../../shared/ARCH-FACTS.md §2.1 and
// §6 items 1-3), the same as the C reference model model/pml/pml.c:
//   - with PML enabled, before any EPT A/D update the unit examines
//     GUEST_PML_INDEX: if it is not in 0 .. ENTRIES-1 the response is
//     log-full and nothing else happens;
//   - otherwise, if the update changes a leaf's D flag from 0 to 1 (a write
//     through a leaf whose D was 0), the unit writes the GPA with bits 11:0
//     cleared - whatever the leaf size - to PML_ADDRESS + 8 * index, and only
//     after memory accepted the write it decrements the index (16 bits: 0
//     wraps to 0xFFFF, so the exit comes on the next update, not at entry 0);
//   - A-only updates, updates of non-leaf entries and updates with PML
//     disabled log nothing.
// Registers: PML_ADDRESS (VMCS 0x200E, bits 11:0 read as 0: the log is 4 KB
// aligned) and GUEST_PML_INDEX (VMCS 0x0812, 16 bits), written and read back
// on the CSR port by their VMCS encodings; the CSR port is ready only while no
// request is in flight (software writes them from root mode). Reset (sync,
// active high) sets the index to ENTRIES-1 and PML_ADDRESS to 0 - a choice:
// the SDM leaves VMCS fields to software, which writes both before enabling
// PML - and drops any request in flight without a response. The write port
// is posted: a write is done once mem_valid && mem_ready (no write response).
//
// Timing: a request is accepted in cycle t (ev_valid && ev_ready, only in
// IDLE). A request that logs presents the write from t+1 and holds it until
// mem_ready; the response is valid for one cycle, the cycle after the request
// (nothing to write) or the cycle after memory accepted the write. So a
// logged entry costs 2 + (memory wait) cycles and anything else 1 cycle; the
// next request can be accepted in the cycle after the response.
//
// The architectural constants come from the package pml_hw_pkg
// (build/rtl/pml_hw_pkg.sv), generated from model/pml/pml_hw.h by
// tools/gen_pml_pkg.c: one source for both languages.
//
// Bug-injection switches (verification only; each must make co-simulation
// fail): PML_BUG_INCREMENT (index increments), PML_BUG_LATE_FULL (the exit
// comes one entry late: an entry is written at index 0xFFFF first),
// PML_BUG_UNALIGNED (the GPA's bits 11:0 are not cleared), PML_BUG_VALID_DROP
// (mem_valid drops while waiting for mem_ready: a write-port protocol error
// that only the assertions below see).
//
// Assertions (simulation only, verilator --assert): the write port holds
// mem_valid, address and data until mem_ready; a write is only presented
// with the index inside the log; a response is a one-cycle pulse and never
// both full and logged; the index changes only by a logged write or a
// register write.

module pml_unit
    import pml_hw_pkg::*;
#(
    parameter int unsigned ENTRIES = PML_HW_ENTRIES  // log entries (SDM: 512)
) (
    input  logic        clk,
    input  logic        rst,            // synchronous, active high

    // Request: one EPT A/D update about to be made.
    input  logic        ev_valid,
    output logic        ev_ready,
    // Waiver: bits 11:0 of the GPA are architecturally discarded (the entry
    // is the 4 KB-aligned GPA); they are in the port because the walker has
    // the full address and a waveform should show it.
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [63:0] ev_gpa,         // the guest-physical address being translated
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic [2:0]  ev_leaf_level,  // 0: non-leaf entry; 1 = 4 KB, 2 = 2 MB, 3 = 1 GB leaf
    input  logic        ev_d_was_0,     // the entry's D flag before the update
    input  logic        ev_is_write,    // the access counts as a write (sets D)
    input  logic        ev_pml_en,      // secondary processor-based control bit 17

    // Response: exactly one per accepted request, valid for one cycle.
    output logic        rsp_valid,
    output logic        rsp_full,       // log-full exit: do not update, do not access
    output logic        rsp_logged,     // an entry was written
    output logic [15:0] rsp_index,      // GUEST_PML_INDEX after the request

    // CSR port: VMCS field encodings, 64-bit data; reads are combinational.
    input  logic        csr_valid,
    output logic        csr_ready,
    input  logic        csr_write,
    input  logic [15:0] csr_field,
    input  logic [63:0] csr_wdata,
    output logic [63:0] csr_rdata,
    output logic        csr_err,        // the addressed field is not one of ours

    // Memory write port for log entries.
    output logic        mem_valid,
    input  logic        mem_ready,
    output logic [63:0] mem_addr,
    output logic [63:0] mem_data
);

    localparam int unsigned IDX_W = PML_HW_INDEX_BITS;

    // The index must be able to hold every entry number and one value
    // outside the log (the wrap), so 1 <= ENTRIES < 2^IDX_W.
    if (ENTRIES < 1 || ENTRIES >= (1 << IDX_W)) begin : g_bad_entries
        $error("pml_unit: ENTRIES must be in 1 .. 2^16 - 1");
    end

    typedef enum logic [1:0] {
        S_IDLE  = 2'd0,
        S_WRITE = 2'd1,
        S_RESP  = 2'd2
    } state_t;

    state_t           state;
    logic [63:12]     pml_address;      // PML_ADDRESS[63:12]
    logic [IDX_W-1:0] index;            // GUEST_PML_INDEX
    logic [63:12]     entry_gpa;        // the request's GPA page
`ifdef PML_BUG_UNALIGNED
    logic [11:0]      entry_off;        // (bug) low bits kept
`endif
    logic             r_full, r_logged;

    // Index in range: 0 .. ENTRIES-1 (SDM: "not in the range 0–511").
    logic idx_ok;
`ifdef PML_BUG_LATE_FULL
    assign idx_ok = index < IDX_W'(ENTRIES) || index == '1;
`else
    assign idx_ok = index < IDX_W'(ENTRIES);
`endif

    logic accept;
    // A register access and a request in the same idle cycle: the register
    // access goes first (the request waits one cycle), so a CSR handshake
    // always means the write was done.
    assign csr_ready = state == S_IDLE && !rst;
    assign ev_ready  = csr_ready && !csr_valid;
    assign accept    = ev_valid && ev_ready;

    // A D 0 -> 1 change of a leaf: the only update that logs (SDM §28.2.5).
    logic dirties;
    assign dirties = ev_leaf_level != 3'd0 && ev_d_was_0 && ev_is_write;

    always_ff @(posedge clk) begin
        if (rst) begin
            state       <= S_IDLE;
            pml_address <= '0;
            index       <= IDX_W'(ENTRIES - 1);
            entry_gpa   <= '0;
`ifdef PML_BUG_UNALIGNED
            entry_off   <= '0;
`endif
            r_full      <= 1'b0;
            r_logged    <= 1'b0;
        end else begin
            unique case (state)
                S_IDLE: begin
                    if (accept) begin
                        r_full    <= 1'b0;
                        r_logged  <= 1'b0;
                        entry_gpa <= ev_gpa[63:12];
`ifdef PML_BUG_UNALIGNED
                        entry_off <= ev_gpa[11:0];
`endif
                        if (ev_pml_en && !idx_ok) begin
                            r_full <= 1'b1;
                            state  <= S_RESP;
                        end else if (ev_pml_en && dirties) begin
                            state <= S_WRITE;
                        end else begin
                            state <= S_RESP;
                        end
                    end else if (csr_valid && csr_ready && csr_write) begin
                        if (csr_field == PML_HW_VMCS_PML_ADDRESS)
                            pml_address <= csr_wdata[63:12];
                        else if (csr_field == PML_HW_VMCS_GUEST_PML_INDEX)
                            index <= csr_wdata[IDX_W-1:0];
                    end
                end
                S_WRITE: begin
                    if (mem_valid && mem_ready) begin
`ifdef PML_BUG_INCREMENT
                        index <= index + 1'b1;
`else
                        index <= index - 1'b1;   // 0 -> 0xFFFF
`endif
                        r_logged <= 1'b1;
                        state    <= S_RESP;
                    end
                end
                S_RESP: state <= S_IDLE;
                default: state <= S_IDLE;
            endcase
        end
    end

`ifdef PML_BUG_VALID_DROP
    logic drop;   // (bug) mem_valid drops every other cycle while waiting
    always_ff @(posedge clk)
        drop <= !rst && state == S_WRITE && !(mem_valid && mem_ready) && !drop;
    assign mem_valid  = state == S_WRITE && !drop;
`else
    assign mem_valid  = state == S_WRITE;
`endif
    assign mem_addr   = {pml_address, 12'h000} + {{(61 - IDX_W){1'b0}}, index, 3'b000};
`ifdef PML_BUG_UNALIGNED
    assign mem_data   = {entry_gpa, entry_off};
`else
    assign mem_data   = {entry_gpa, 12'h000};
`endif
    assign rsp_valid  = state == S_RESP;
    assign rsp_full   = r_full;
    assign rsp_logged = r_logged;
    assign rsp_index  = index;

    always_comb begin
        csr_err   = 1'b0;
        csr_rdata = '0;
        if (csr_field == PML_HW_VMCS_PML_ADDRESS)
            csr_rdata = {pml_address, 12'h000};
        else if (csr_field == PML_HW_VMCS_GUEST_PML_INDEX)
            csr_rdata = {{(64 - IDX_W){1'b0}}, index};
        else
            csr_err = csr_valid;
    end

`ifndef SYNTHESIS
    // Each assertion reports its first failure only (a protocol error
    // usually repeats every cycle after); the harness sees it as an error.
    logic seen_hold, seen_in_log, seen_pulse, seen_excl, seen_index;
    initial {seen_hold, seen_in_log, seen_pulse, seen_excl, seen_index} = '0;

    a_mem_hold: assert property (@(posedge clk) disable iff (rst)
        mem_valid && !mem_ready |=> mem_valid && $stable(mem_addr) && $stable(mem_data))
        else if (!seen_hold) begin
            seen_hold <= 1'b1;
            $error("pml_unit: the write changed or mem_valid dropped before mem_ready");
        end
    a_mem_in_log: assert property (@(posedge clk) disable iff (rst)
        mem_valid |-> index < IDX_W'(ENTRIES))
        else if (!seen_in_log) begin
            seen_in_log <= 1'b1;
            $error("pml_unit: a log write with the index outside the log");
        end
    a_rsp_pulse: assert property (@(posedge clk) disable iff (rst) rsp_valid |=> !rsp_valid)
        else if (!seen_pulse) begin
            seen_pulse <= 1'b1;
            $error("pml_unit: a response longer than one cycle");
        end
    a_rsp_excl: assert property (@(posedge clk) disable iff (rst)
        rsp_valid |-> !(rsp_full && rsp_logged))
        else if (!seen_excl) begin
            seen_excl <= 1'b1;
            $error("pml_unit: a response both full and logged");
        end
    a_index_moves: assert property (@(posedge clk) disable iff (rst)
        !(mem_valid && mem_ready) && !(csr_valid && csr_ready && csr_write) |=> $stable(index))
        else if (!seen_index) begin
            seen_index <= 1'b1;
            $error("pml_unit: the index changed without a write");
        end
`endif

endmodule
