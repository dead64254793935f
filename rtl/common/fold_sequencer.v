// Issue-side control of a folded layer (bnn_mvau, lutnet_tiled_layer, mac_layer): the input double buffer,
// the step / group counters and the issue -> compute control registers.
//
// A vector of VEC_W bits takes STEPS issue steps, one per cycle, split into GROUPS groups (neuron folds).
// `step` counts 0..STEPS-1 over the vector (the parameter-memory address), `group` the groups, `inner` the
// steps within the group (0 on a group's first step). A group ends
//   GROUP_END_IN=0: every GROUP_STEPS steps (STEPS = GROUPS*GROUP_STEPS; `inner` is the synapse fold);
//   GROUP_END_IN=1: on a step whose `group_end` input is high (data-dependent lengths of at most GROUP_STEPS
//                   steps, e.g. a flag in the weight word read at `step`; the vector's last step ends a group).
//
// Input double buffer: one vector waits in a buffer while the previous one is issued from the work register.
// The next vector starts (buffer -> `work`) in the cycle the current one issues its last step, so back-to-back
// vectors take exactly STEPS cycles each. A vector starts only while `room` is high (the output side can hold
// one more vector's result: in-flight credit), so a started vector never stalls part-way.
//
// Issue stage (`issue`, `step`, `inner`, `group`): the step issued this cycle. Compute stage (`c_*`): the step
// issued in the previous cycle, which the layer computes now from the memory words it read at issue.
module fold_sequencer #(
    parameter integer VEC_W        = 64,
    parameter integer STEPS        = 32,
    parameter integer GROUPS       = 8,
    parameter integer GROUP_STEPS  = 4,
    parameter integer GROUP_END_IN = 0,
    parameter integer STEP_W       = (STEPS > 1) ? $clog2(STEPS) : 1,
    parameter integer GROUP_W      = (GROUPS > 1) ? $clog2(GROUPS) : 1,
    parameter integer INNER_W      = (GROUP_STEPS > 1) ? $clog2(GROUP_STEPS) : 1
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire [VEC_W-1:0]   in_data,
    input  wire               in_valid,
    output wire               in_ready,
    input  wire               room,       // the output side can take one more vector's result
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire               group_end,  // GROUP_END_IN=1: the step issued this cycle is its group's last
    /* verilator lint_on UNUSEDSIGNAL */
    output wire               start,      // a vector moves into `work` on this edge (reserve its output slot)
    output wire [VEC_W-1:0]   work,       // the vector being issued
    output wire               issue,
    output wire [STEP_W-1:0]  step,
    output wire [INNER_W-1:0] inner,
    output wire [GROUP_W-1:0] group,
    output reg                c_valid,    // a step is computed this cycle: the one issued in the previous cycle
    output reg                c_first,    // ... and it is the first step of its group
    output reg                c_last,     // ... the last step of its group
    output reg                c_final,    // ... the last step of the vector
    output reg  [GROUP_W-1:0] c_group
);
    reg [VEC_W-1:0]   in_buf_q, work_q;
    reg               in_full_q, busy_q;
    reg [STEP_W-1:0]  step_q;
    reg [INNER_W-1:0] inner_q;
    reg [GROUP_W-1:0] group_q;

    wire accept     = in_valid && in_ready;
    wire final_step = (step_q == STEP_W'(STEPS - 1));
    wire first, last;  // the issued step is the first / the last of its group

    assign start    = in_full_q && (!busy_q || final_step) && room;
    assign in_ready = !in_full_q || start;
    assign issue    = busy_q;
    assign work     = work_q;
    assign step     = step_q;
    assign inner    = inner_q;
    assign group    = group_q;

    generate
        if (GROUP_END_IN != 0) begin : g_end_in
            // `first` follows the previous step's group end (the lengths are only known as they are issued)
            reg first_q;
            assign last  = group_end;
            assign first = first_q;
            always @(posedge clk) begin
                if (!rst_n) first_q <= 1'b1;
                else if (start) first_q <= 1'b1;
                else if (issue) first_q <= last;
            end
        end else begin : g_end_count
            assign last  = (inner_q == INNER_W'(GROUP_STEPS - 1));
            assign first = (inner_q == {INNER_W{1'b0}});
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n) begin
            in_full_q <= 1'b0;
            busy_q    <= 1'b0;
            step_q    <= {STEP_W{1'b0}};
            inner_q   <= {INNER_W{1'b0}};
            group_q   <= {GROUP_W{1'b0}};
            in_buf_q  <= {VEC_W{1'b0}};
            work_q    <= {VEC_W{1'b0}};
        end else begin
            if (accept) in_buf_q <= in_data;
            in_full_q <= accept || (in_full_q && !start);
            if (start) work_q <= in_buf_q;
            if (start) begin
                busy_q  <= 1'b1;
                step_q  <= {STEP_W{1'b0}};
                inner_q <= {INNER_W{1'b0}};
                group_q <= {GROUP_W{1'b0}};
            end else if (issue) begin
                busy_q  <= !final_step;
                step_q  <= step_q + 1'b1;
                inner_q <= last ? {INNER_W{1'b0}} : inner_q + 1'b1;
                if (last) group_q <= group_q + 1'b1;
            end
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            c_valid <= 1'b0;
            c_first <= 1'b0;
            c_last  <= 1'b0;
            c_final <= 1'b0;
            c_group <= {GROUP_W{1'b0}};
        end else begin
            c_valid <= issue;
            c_first <= first;
            c_last  <= last;
            c_final <= final_step;
            c_group <= group;
        end
    end
endmodule
