`timescale 1ns / 1ps
// Cycle-level stream driver and result recorder for any edgebench core, in HDL (tb/harness.py).
//
// The Python side decides everything: it writes the run's files and raises `start`. The harness then
//   1. loads them (`loaded` rises),  2. holds reset for RESET_CYCLES edges and streams every beat under the stall
//   schedule, recording into memories (`ran` rises when every result is in, or the watchdog fired),
//   3. writes OUT_FILE (`done` rises). Steps 1 and 3 are file I/O, outside the timed stretch `loaded` -> `ran`.
//   <RUN_FILE>    "n_vectors n_beats use_schedule watchdog_cycles reset_at"
//                 reset_at > 0: reset is asserted again for RESET_CYCLES cycles (mid-stream) from the first cycle
//                 >= reset_at that finds a vector part-way in (or every beat sent, or vectors of one beat);
//                 results not yet taken are lost, so the stream resumes from the first vector without a result
//                 (every vector still gets exactly one result, in order)
//   <BEATS_FILE>  $readmemh, one input beat per line, hex of {ends_vector, last, data}: `last` is what in_last
//                 shows, `ends_vector` the harness's own bookkeeping (a frame may end without in_last)
//   <SCHED_FILE>  $readmemh, one entry per cycle (wrapping every 2^SCHED_AW cycles):
//                 bit 0 = no new beat starts this cycle (input idle), bit 1 = out_ready low (back-pressure)
//   <OUT_FILE>    "O <reset release time, ns>", "I <cycle>" per accepted first beat,
//                 "R <valid cycle> <accept cycle> <class> <scores>" per result (hex class and scores), then
//                 "Z <cycle> <vector>" for a mid-stream reset (its first cycle, the vector the stream resumed from),
//                 "E <cycles> <idle cycles> <back-pressure cycles> <timeout: 0, 1 input stalled, 2 output stalled>"
// Cycle k is the clock period after the k-th rising edge since reset release; a transfer on the edge that ends
// cycle k is stamped k (the convention of the per-cycle Python monitors, so both paths give the same figures).
// With +autostart it runs once without cocotb and finishes (the simulator's own speed; `edgebench simspeed`).
module stream_harness #(
    parameter integer BUS_WIDTH    = 8,
    parameter integer CLASS_W      = 4,
    parameter integer SCORES_W     = 1,      // N_CLASSES*SCORE_W of the core, 1 when it has no out_scores
    parameter integer HALF_PERIOD  = 5,      // ns
    parameter integer RESET_CYCLES = 4,
    parameter integer DRAIN_CYCLES = 8,      // cycles after the last result, to catch extra results
    parameter integer SCHED_AW     = 16,     // log2 of the stall schedule's depth
    parameter integer BEATS_AW     = 18,     // log2 of the most beats one run can hold
    parameter integer RESULTS_AW   = 16,     // log2 of the most results (and first beats) one run records
    parameter         RUN_FILE     = "hdl_run.txt",
    parameter         BEATS_FILE   = "hdl_beats.hex",
    parameter         SCHED_FILE   = "hdl_sched.hex",
    parameter         OUT_FILE     = "hdl_results.txt"
) (
    output reg                 clk,
    output reg                 rst_n,
    output reg [BUS_WIDTH-1:0] in_data,
    output reg                 in_valid,
    output reg                 in_last,
    input  wire                in_ready,
    input  wire [CLASS_W-1:0]  out_class,
    input  wire [SCORES_W-1:0] out_scores,
    input  wire                out_valid,
    output reg                 out_ready
);
    localparam integer RESULTS_DEPTH = 1 << RESULTS_AW;
    localparam [2:0] IDLE = 3'd0, RESET = 3'd1, RUN = 3'd2, DUMP = 3'd3, OVER = 3'd4, MID_RESET = 3'd5;

    reg start  /* verilator public_flat_rw */;  // written by cocotb: high begins one run, low re-arms
    reg loaded /* verilator public_flat_rw */;  // the files are in memory; the timed stretch begins
    reg ran    /* verilator public_flat_rw */;  // every result is in (or the watchdog fired); the timed stretch ends
    reg done   /* verilator public_flat_rw */;  // OUT_FILE is written and closed

    reg [1:0]         sched      [0:(1 << SCHED_AW)-1];
    reg [BUS_WIDTH+1:0] beats    [0:(1 << BEATS_AW)-1];
    integer           in_cycles  [0:RESULTS_DEPTH-1];
    integer           vec_start  [0:RESULTS_DEPTH-1];  // each vector's first beat (mid-stream reset only)
    integer           res_valid  [0:RESULTS_DEPTH-1];
    integer           res_accept [0:RESULTS_DEPTH-1];
    reg [CLASS_W-1:0]  res_class  [0:RESULTS_DEPTH-1];
    reg [SCORES_W-1:0] res_scores [0:RESULTS_DEPTH-1];

    reg [2:0] state;
    reg [1:0] next_sched;  // the schedule entry of the cycle being set up
    reg first_beat, draining;
    reg in_ends;  // the beat on the bus ends its vector
    integer fd, scanned, i;
    integer n_vectors, n_beats, use_sched, watchdog, timeout, reset_at, reset_cycle, resumed_from;
    integer beats_sent, beats_loaded, n_inputs, results, cycle, quiet, idle, backpressure, drain, reset_left;
    integer valid_since;
    real origin_ns;

    initial begin
        clk = 1'b0;
        rst_n = 1'b0;
        in_data = {BUS_WIDTH{1'b0}};
        in_valid = 1'b0;
        in_last = 1'b0;
        in_ends = 1'b0;
        out_ready = 1'b0;
        loaded = 1'b0;
        ran = 1'b0;
        done = 1'b0;
        state = IDLE;
        use_sched = 0;
        cycle = 0;
        start = $test$plusargs("autostart") ? 1'b1 : 1'b0;
    end

    always #(HALF_PERIOD) clk = ~clk;

    function automatic [1:0] sched_entry(input [SCHED_AW-1:0] at);  // the schedule repeats: low bits only
        sched_entry = (use_sched != 0) ? sched[at] : 2'b00;
    endfunction

    task automatic present_next_beat;
        begin
            if (beats_loaded < n_beats && !next_sched[0]) begin
                {in_ends, in_last, in_data} <= beats[beats_loaded[BEATS_AW-1:0]];
                in_valid <= 1'b1;
                beats_loaded = beats_loaded + 1;
            end else begin
                if (beats_loaded < n_beats) idle = idle + 1;
                in_valid <= 1'b0;
                in_last <= 1'b0;
            end
        end
    endtask

    task automatic load_run;
        begin
            fd = $fopen(RUN_FILE, "r");
            scanned = (fd == 0) ? 0 : $fscanf(fd, "%d %d %d %d %d", n_vectors, n_beats, use_sched, watchdog, reset_at);
            if (fd != 0) $fclose(fd);
            if (scanned != 5 || n_beats > (1 << BEATS_AW) || n_vectors > RESULTS_DEPTH) begin
                $display("stream_harness: %s must hold 'n_vectors n_beats use_schedule watchdog reset_at' within %0d beats, %0d vectors",
                         RUN_FILE, 1 << BEATS_AW, RESULTS_DEPTH);
                $finish;
            end
            if (n_beats > 0) $readmemh(BEATS_FILE, beats, 0, n_beats - 1);
            if (use_sched != 0) $readmemh(SCHED_FILE, sched);
            if (reset_at > 0) begin  // where each vector starts, to resume at a vector after the reset
                vec_start[0] = 0;
                scanned = 1;  // reused as the vector count
                for (i = 0; i < n_beats - 1 && scanned < RESULTS_DEPTH; i = i + 1) begin
                    if (beats[i[BEATS_AW-1:0]][BUS_WIDTH+1]) begin
                        vec_start[scanned[RESULTS_AW-1:0]] = i + 1;
                        scanned = scanned + 1;
                    end
                end
            end
        end
    endtask

    task automatic write_out;
        begin
            fd = $fopen(OUT_FILE, "w");
            $fwrite(fd, "O %0.3f\n", origin_ns);
            for (i = 0; i < n_inputs && i < RESULTS_DEPTH; i = i + 1) $fwrite(fd, "I %0d\n", in_cycles[i]);
            for (i = 0; i < results && i < RESULTS_DEPTH; i = i + 1)
                $fwrite(fd, "R %0d %0d %0h %0h\n", res_valid[i], res_accept[i], res_class[i], res_scores[i]);
            if (reset_cycle >= 0) $fwrite(fd, "Z %0d %0d\n", reset_cycle, resumed_from);
            $fwrite(fd, "E %0d %0d %0d %0d\n", cycle, idle, backpressure, timeout);
            $fclose(fd);
        end
    endtask

    always @(posedge clk) begin
        case (state)
            IDLE: begin
                if (start) begin
                    load_run();
                    beats_sent = 0;
                    beats_loaded = 0;
                    n_inputs = 0;
                    results = 0;
                    cycle = 0;
                    quiet = 0;
                    idle = 0;
                    backpressure = 0;
                    drain = 0;
                    timeout = 0;
                    valid_since = -1;
                    reset_cycle = -1;
                    resumed_from = -1;
                    first_beat = 1'b1;
                    draining = 1'b0;
                    reset_left = RESET_CYCLES;
                    rst_n <= 1'b0;
                    in_valid <= 1'b0;
                    in_last <= 1'b0;
                    out_ready <= 1'b0;
                    loaded <= 1'b1;
                    state <= RESET;
                end
            end
            RESET: begin
                reset_left = reset_left - 1;
                if (reset_left == 0) begin
                    // the last reset edge: release, and set up cycle 0
                    rst_n <= 1'b1;
                    origin_ns = $realtime;
                    next_sched = sched_entry({SCHED_AW{1'b0}});
                    present_next_beat();
                    out_ready <= !next_sched[1];
                    state <= RUN;
                end
            end
            RUN: begin
                // sample the cycle this edge ends (`cycle`), then set up the next one
                quiet = quiet + 1;
                if (in_valid && in_ready) begin
                    beats_sent = beats_sent + 1;
                    quiet = 0;
                    if (first_beat) begin
                        if (n_inputs < RESULTS_DEPTH) in_cycles[n_inputs[RESULTS_AW-1:0]] = cycle;
                        n_inputs = n_inputs + 1;
                    end
                    first_beat = in_ends;
                end
                if (out_valid) begin
                    if (valid_since < 0) valid_since = cycle;
                    if (out_ready) begin
                        if (results < RESULTS_DEPTH) begin
                            res_valid[results[RESULTS_AW-1:0]] = valid_since;
                            res_accept[results[RESULTS_AW-1:0]] = cycle;
                            res_class[results[RESULTS_AW-1:0]] = out_class;
                            res_scores[results[RESULTS_AW-1:0]] = out_scores;
                        end
                        results = results + 1;
                        valid_since = -1;
                        quiet = 0;
                    end else begin
                        backpressure = backpressure + 1;
                    end
                end else begin
                    valid_since = -1;
                end
                cycle = cycle + 1;
                next_sched = sched_entry(cycle[SCHED_AW-1:0]);
                if (!in_valid || in_ready) present_next_beat();
                out_ready <= !next_sched[1];
                if (results >= n_vectors) draining = 1'b1;
                if (draining) begin
                    drain = drain + 1;
                end else if (quiet >= watchdog) begin
                    // no beat accepted and no result for `watchdog` cycles: 1 = a beat waits that the core does not
                    // take, 2 = the core holds no result for a ready consumer and takes no input
                    timeout = (in_valid && beats_sent < n_beats) ? 1 : 2;
                end
                if (reset_at > 0 && reset_cycle < 0 && cycle >= reset_at && !draining && timeout == 0
                        && (!first_beat || beats_sent == n_beats || n_beats == n_vectors)) begin
                    // mid-stream reset through cycles reset_at .. reset_at + RESET_CYCLES - 1; the results not
                    // taken yet are lost: the stream resumes with the first vector that has none
                    reset_cycle = cycle;
                    resumed_from = results;
                    beats_loaded = vec_start[results[RESULTS_AW-1:0]];
                    beats_sent = beats_loaded;
                    n_inputs = results;
                    first_beat = 1'b1;
                    valid_since = -1;
                    quiet = 0;
                    reset_left = RESET_CYCLES;
                    rst_n <= 1'b0;
                    in_valid <= 1'b0;
                    in_last <= 1'b0;
                    out_ready <= 1'b0;
                    state <= MID_RESET;
                end
                if (drain > DRAIN_CYCLES || timeout != 0) begin
                    in_valid <= 1'b0;
                    in_last <= 1'b0;
                    out_ready <= 1'b0;
                    ran <= 1'b1;
                    state <= DUMP;
                end
            end
            MID_RESET: begin
                cycle = cycle + 1;
                reset_left = reset_left - 1;
                if (reset_left == 0) begin  // the last reset edge: release, and set up the next cycle
                    rst_n <= 1'b1;
                    next_sched = sched_entry(cycle[SCHED_AW-1:0]);
                    present_next_beat();
                    out_ready <= !next_sched[1];
                    state <= RUN;
                end
            end
            DUMP: begin
                write_out();
                done <= 1'b1;
                state <= OVER;
                if ($test$plusargs("autostart")) $finish;
            end
            default: begin  // OVER: wait for cocotb to take `start` low
                if (!start) begin
                    loaded <= 1'b0;
                    ran <= 1'b0;
                    done <= 1'b0;
                    state <= IDLE;
                end
            end
        endcase
    end
endmodule
