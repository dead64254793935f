// Collects one input vector of VEC_BITS bits from a stream of BUS_WIDTH-bit beats.
// Beat k carries vector bits [k*BUS_WIDTH, (k+1)*BUS_WIDTH), LSB first; the last beat is zero-padded.
// A vector ends on the beat with in_last high or on its N_BEATS-th beat, whichever comes first; bits of
// beats that never arrived (a short frame) are delivered as zero.
// Double-buffered: the next vector is assembled while the previous one waits in the output register,
// so a consumer that takes one vector per N_BEATS cycles never stalls the bus.
module stream_deserializer #(
    parameter integer BUS_WIDTH = 32,
    parameter integer VEC_BITS  = 64
) (
    input  wire                 clk,
    input  wire                 rst_n,
    input  wire [BUS_WIDTH-1:0] in_data,
    input  wire                 in_valid,
    output wire                 in_ready,
    input  wire                 in_last,
    output wire [VEC_BITS-1:0]  vec_data,
    output wire                 vec_valid,
    input  wire                 vec_ready
);
    localparam integer N_BEATS = (VEC_BITS + BUS_WIDTH - 1) / BUS_WIDTH;
    localparam integer BEAT_W  = (N_BEATS > 1) ? $clog2(N_BEATS) : 1;

    reg [VEC_BITS-1:0] asm_q;        // beats received so far
    reg [BEAT_W-1:0]   beat_q;       // index of the next beat
    reg                held_q;       // a complete vector waits in asm_q for the output register
    reg [VEC_BITS-1:0] out_q;
    reg                out_valid_q;

    wire out_free  = !out_valid_q || vec_ready;
    wire accept    = in_valid && in_ready;
    wire last_beat = in_last || (beat_q == BEAT_W'(N_BEATS - 1));
    wire complete  = accept && last_beat;

    // asm_q with the current beat written in and beats after it cleared: the vector as it stands
    // when this beat completes it.
    wire [VEC_BITS-1:0] asm_d;
    genvar i;
    generate
        for (i = 0; i < VEC_BITS; i = i + 1) begin : g_bit
            localparam integer BEAT = i / BUS_WIDTH;
            wire this_beat  = (beat_q == BEAT_W'(BEAT));
            wire past_beat;
            if (BEAT == N_BEATS - 1) begin : g_final
                assign past_beat = 1'b0;  // no beat comes after the final one
            end else begin : g_inner
                assign past_beat = (beat_q > BEAT_W'(BEAT));
            end
            assign asm_d[i] = this_beat ? in_data[i % BUS_WIDTH] : (past_beat ? asm_q[i] : 1'b0);
        end
    endgenerate

    assign in_ready  = !held_q;
    assign vec_data  = out_q;
    assign vec_valid = out_valid_q;

    always @(posedge clk) begin
        if (!rst_n) begin
            asm_q       <= {VEC_BITS{1'b0}};
            beat_q      <= {BEAT_W{1'b0}};
            held_q      <= 1'b0;
            out_q       <= {VEC_BITS{1'b0}};
            out_valid_q <= 1'b0;
        end else begin
            if (accept) begin
                asm_q  <= asm_d;
                beat_q <= last_beat ? {BEAT_W{1'b0}} : beat_q + 1'b1;
            end
            if (held_q && out_free) begin
                out_q       <= asm_q;
                out_valid_q <= 1'b1;
                held_q      <= 1'b0;
            end else if (complete && out_free) begin
                out_q       <= asm_d;
                out_valid_q <= 1'b1;
            end else begin
                if (complete) held_q <= 1'b1;
                if (vec_ready) out_valid_q <= 1'b0;
            end
        end
    end
`ifdef EDGEBENCH_PROTOCOL_CHECK  // simulation only: this module's output stream obeys valid/ready
    stream_protocol_checker #(.WIDTH(VEC_BITS)) out_protocol (clk, rst_n, vec_valid, vec_ready, vec_data);
`endif
endmodule
