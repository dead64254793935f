`timescale 1ns / 1ps
// Cycle-level stream driver and result recorder for any edgebench core, in HDL (tb/harness.py).
//
// The Python side decides everything: it writes the run's files, then raises `start`; this block runs the
// core at the simulator's own speed and raises `done` when every result is in (or the watchdog fired).
//   <RUN_FILE>    "n_vectors n_beats use_schedule watchdog_cycles"
//   <BEATS_FILE>  one input beat per line, hex of {last, data}
//   <SCHED_FILE>  $readmemh, one entry per cycle (wrapping every SCHED_DEPTH cycles):
//                 bit 0 = no new beat starts this cycle (input idle), bit 1 = out_ready low (back-pressure)
//   <OUT_FILE>    written: "O <reset release time, ns>", "I <cycle>" per accepted first beat,
//                 "R <valid cycle> <accept cycle> <class> <scores>" per result, then
//                 "E <cycles> <idle cycles> <back-pressure cycles> <timeout: 0, 1 input stalled, 2 output stalled>"
// Cycle k is the clock period after the k-th rising edge since reset release; a transfer on the edge that ends
// cycle k is stamped k (the convention of the per-cycle Python monitors, so both paths give the same figures).
module stream_harness #(
    parameter integer BUS_WIDTH    = 8,
    parameter integer CLASS_W      = 4,
    parameter integer SCORES_W     = 1,      // N_CLASSES*SCORE_W of the core, 1 when it has no out_scores
    parameter integer HALF_PERIOD  = 5,      // ns
    parameter integer RESET_CYCLES = 4,
    parameter integer DRAIN_CYCLES = 8,      // cycles after the last result, to catch extra results
    parameter integer SCHED_AW     = 16,     // log2 of the stall schedule's depth
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
    localparam integer SCHED_DEPTH = 1 << SCHED_AW;

    reg start /* verilator public_flat_rw */;  // written by cocotb: a rising edge begins one run
    reg done  /* verilator public_flat_rw */;  // read by cocotb: the run is over and OUT_FILE is closed

    reg [1:0] sched [0:SCHED_DEPTH-1];
    reg [BUS_WIDTH:0] word;
    integer fd_run, fd_beats, fd_out, scanned;
    integer n_vectors, n_beats, use_sched, watchdog;
    integer beats_sent, beats_loaded, results, cycle, quiet, idle, backpressure, drain, reset_left;
    integer valid_since;
    reg running, first_beat, draining;

    initial begin
        clk = 1'b0;
        rst_n = 1'b0;
        in_data = {BUS_WIDTH{1'b0}};
        in_valid = 1'b0;
        in_last = 1'b0;
        out_ready = 1'b0;
        start = 1'b0;
        done = 1'b0;
        running = 1'b0;
        first_beat = 1'b1;
        draining = 1'b0;
        fd_out = 0;
        fd_beats = 0;
        use_sched = 0;
        cycle = 0;
        // +autostart: run once without cocotb (the simulator's own speed on the same testbench; `edgebench simspeed`)
        if ($test$plusargs("autostart")) start = 1'b1;
    end

    always #(HALF_PERIOD) clk = ~clk;

    reg [1:0] next_sched;  // the schedule entry of the cycle being set up

    task automatic present_next_beat;
        begin
            if (beats_loaded < n_beats && !next_sched[0]) begin
                scanned = $fscanf(fd_beats, "%h\n", word);
                in_last <= word[BUS_WIDTH];
                in_data <= word[BUS_WIDTH-1:0];
                in_valid <= 1'b1;
                beats_loaded = beats_loaded + 1;
            end else begin
                if (beats_loaded < n_beats) idle = idle + 1;
                in_valid <= 1'b0;
                in_last <= 1'b0;
            end
        end
    endtask

    task automatic finish_run(input integer timeout);
        begin
            $fwrite(fd_out, "E %0d %0d %0d %0d\n", cycle, idle, backpressure, timeout);
            $fclose(fd_out);
            $fclose(fd_beats);
            running = 1'b0;
            in_valid <= 1'b0;
            in_last <= 1'b0;
            out_ready <= 1'b0;
            done <= 1'b1;
            if ($test$plusargs("autostart")) $finish;
        end
    endtask

    always @(posedge clk) begin
        if (!start) begin
            done <= 1'b0;
        end else if (!running && !done) begin
            // one run: read its files, then hold reset for RESET_CYCLES edges
            fd_run = $fopen(RUN_FILE, "r");
            scanned = $fscanf(fd_run, "%d %d %d %d", n_vectors, n_beats, use_sched, watchdog);
            $fclose(fd_run);
            if (scanned != 4) begin
                $display("stream_harness: %s does not hold 'n_vectors n_beats use_schedule watchdog'", RUN_FILE);
                $finish;
            end
            if (use_sched != 0) $readmemh(SCHED_FILE, sched);
            fd_beats = $fopen(BEATS_FILE, "r");
            fd_out = $fopen(OUT_FILE, "w");
            beats_sent = 0;
            beats_loaded = 0;
            results = 0;
            cycle = 0;
            quiet = 0;
            idle = 0;
            backpressure = 0;
            drain = 0;
            valid_since = -1;
            first_beat = 1'b1;
            draining = 1'b0;
            reset_left = RESET_CYCLES;
            rst_n <= 1'b0;
            in_valid <= 1'b0;
            in_last <= 1'b0;
            out_ready <= 1'b0;
            running = 1'b1;
        end else if (running && reset_left > 1) begin
            reset_left = reset_left - 1;
        end else if (running && reset_left == 1) begin
            // the last reset edge: release, and set up cycle 0
            reset_left = 0;
            rst_n <= 1'b1;
            $fwrite(fd_out, "O %0.3f\n", $realtime);
            next_sched = (use_sched != 0) ? sched[0] : 2'b00;
            present_next_beat();
            out_ready <= !next_sched[1];
        end else if (running) begin
            // sample the cycle this edge ends (`cycle`), then set up the next one
            quiet = quiet + 1;
            if (in_valid && in_ready) begin
                beats_sent = beats_sent + 1;
                quiet = 0;
                if (first_beat) $fwrite(fd_out, "I %0d\n", cycle);
                first_beat = in_last;
            end
            if (out_valid) begin
                if (valid_since < 0) valid_since = cycle;
                if (out_ready) begin
                    $fwrite(fd_out, "R %0d %0d %0h %0h\n", valid_since, cycle, out_class, out_scores);
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
            next_sched = (use_sched != 0) ? sched[cycle[SCHED_AW-1:0]] : 2'b00;
            if (!in_valid || in_ready) present_next_beat();
            out_ready <= !next_sched[1];
            if (results >= n_vectors) draining = 1'b1;
            if (draining) begin
                drain = drain + 1;
                if (drain > DRAIN_CYCLES) finish_run(0);
            end else if (quiet >= watchdog) begin
                // no beat accepted and no result for `watchdog` cycles: 1 = a beat waits that the core does not
                // take, 2 = the core holds no result for a ready consumer and takes no input
                finish_run((in_valid && beats_sent < n_beats) ? 1 : 2);
            end
        end
    end
endmodule
