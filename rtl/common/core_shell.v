// The stream shell of every core top (rtl/README.md): the core's stream interface on one side, the style's
// datapath on the other.
//   in_* beats -> stream_deserializer (u_in) -> vec_* (one IN_BITS vector) -> [datapath]
//   [datapath] -> scores_* (N_CLASSES scores) -> [result FIFO (u_fifo), RES_DEPTH > 0] -> argmax_output (u_out)
//   -> out_class / out_scores / out_valid
// RES_DEPTH = 0: the scores go straight to argmax_output (the datapath queues its own results).
// RES_DEPTH > 0: a result FIFO of RES_DEPTH entries with in-flight credit: a vector is offered on vec_* only
// while fewer than RES_DEPTH vectors have been taken by the datapath and their results not yet taken from the
// FIFO. A datapath that delivers one result per vector taken therefore never finds the FIFO full (scores_ready
// stays high), and output back-pressure stalls the input instead of losing a result.
// Scores are unsigned, or two's complement with SIGNED=1.
module core_shell #(
    parameter integer BUS_WIDTH = 32,
    parameter integer IN_BITS   = 64,
    parameter integer N_CLASSES = 10,
    parameter integer SCORE_W   = 8,
    parameter integer SIGNED    = 0,
    parameter integer RES_DEPTH = 0,
    parameter integer CLASS_W   = (N_CLASSES > 1) ? $clog2(N_CLASSES) : 1
) (
    input  wire                         clk,
    input  wire                         rst_n,
    input  wire [BUS_WIDTH-1:0]         in_data,
    input  wire                         in_valid,
    output wire                         in_ready,
    input  wire                         in_last,
    output wire [CLASS_W-1:0]           out_class,
    output wire [N_CLASSES*SCORE_W-1:0] out_scores,
    output wire                         out_valid,
    input  wire                         out_ready,
    output wire [IN_BITS-1:0]           vec_data,      // to the datapath
    output wire                         vec_valid,
    input  wire                         vec_ready,
    input  wire [N_CLASSES*SCORE_W-1:0] scores,        // from the datapath
    input  wire                         scores_valid,
    output wire                         scores_ready
);
    localparam integer SW = N_CLASSES * SCORE_W;

    wire          deser_valid, deser_ready;
    wire [SW-1:0] res_data;  // argmax_output's input stream
    wire          res_valid, res_ready;

    stream_deserializer #(.BUS_WIDTH(BUS_WIDTH), .VEC_BITS(IN_BITS)) u_in (
        .clk(clk), .rst_n(rst_n),
        .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready), .in_last(in_last),
        .vec_data(vec_data), .vec_valid(deser_valid), .vec_ready(deser_ready)
    );

    generate
        if (RES_DEPTH > 0) begin : g_res_fifo
            localparam integer CREDIT_W = $clog2(RES_DEPTH + 1);
            reg [CREDIT_W-1:0] inflight_q;  // vectors taken by the datapath and not yet popped from the FIFO
            wire room = (inflight_q < CREDIT_W'(RES_DEPTH));
            wire take = vec_valid && vec_ready;
            wire pop  = res_valid && res_ready;
            assign vec_valid   = deser_valid && room;
            assign deser_ready = vec_ready && room;
            always @(posedge clk) begin
                if (!rst_n) inflight_q <= {CREDIT_W{1'b0}};
                else inflight_q <= inflight_q + CREDIT_W'(take) - CREDIT_W'(pop);
            end
            stream_fifo #(.WIDTH(SW), .DEPTH(RES_DEPTH)) u_fifo (
                .clk(clk), .rst_n(rst_n),
                .in_data(scores), .in_valid(scores_valid), .in_ready(scores_ready),
                .out_data(res_data), .out_valid(res_valid), .out_ready(res_ready)
            );
        end else begin : g_direct
            assign vec_valid    = deser_valid;
            assign deser_ready  = vec_ready;
            assign res_data     = scores;
            assign res_valid    = scores_valid;
            assign scores_ready = res_ready;
        end
    endgenerate

    argmax_output #(.N_CLASSES(N_CLASSES), .SCORE_W(SCORE_W), .SIGNED(SIGNED), .CLASS_W(CLASS_W)) u_out (
        .clk(clk), .rst_n(rst_n),
        .in_scores(res_data), .in_valid(res_valid), .in_ready(res_ready),
        .out_class(out_class), .out_scores(out_scores), .out_valid(out_valid), .out_ready(out_ready)
    );
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: the streams this module produces obey valid/ready
    stream_protocol_checker #(.WIDTH(IN_BITS)) vec_protocol (clk, rst_n, vec_valid, vec_ready, vec_data);
    stream_protocol_checker #(.WIDTH(CLASS_W + SW)) out_protocol (
        clk, rst_n, out_valid, out_ready, {out_class, out_scores});
`endif
endmodule
