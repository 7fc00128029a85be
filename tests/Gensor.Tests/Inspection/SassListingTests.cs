using Gensor.Backend.Inspection;

namespace Gensor.Tests.Inspection;

/// <summary>Reading <c>cuobjdump -sass</c> and counting the instruction mix.</summary>
public sealed class SassListingTests
{
    [Fact]
    public void Every_instruction_of_a_function_is_read_with_its_offset()
    {
        var function = SassListing.Parse(Fixture.Read("warp_dot.sm_90.sass")).Single();

        Assert.Equal("warp_dot", function.Name);
        Assert.Equal("sm_90", function.Architecture);
        // 0x000 to 0x370 in steps of 16: 44 instructions, then 12 NOPs of padding.
        Assert.Equal(56, function.Instructions.Count);
        Assert.Equal(0x370, function.Instructions[^1].Offset);
    }

    [Fact]
    public void Predicates_opcodes_and_modifiers_are_split()
    {
        var instructions = SassListing.Parse(Fixture.Read("warp_dot.sm_90.sass")).Single().Instructions;

        var exit = instructions.Single(i => i.Offset == 0x210);
        Assert.Equal(("P0", "EXIT"), (exit.Predicate, exit.Opcode));
        var load = instructions.Single(i => i.Offset == 0x80);
        Assert.Equal("LDG", load.Opcode);
        Assert.Equal(["E", "128"], load.Modifiers);
        Assert.True(load.Is128Bit);
        Assert.Equal("LDG.E.128 R4, [R4.64]", load.Text);
    }

    [Fact]
    public void The_mix_counts_each_kind_once_per_instruction()
    {
        var mix = SassListing.Parse(Fixture.Read("warp_dot.sm_90.sass")).Single().Mix();

        // Counted by hand in the fixture.
        Assert.Equal(44, mix.Total);
        Assert.Equal(0x380, mix.CodeBytes);
        Assert.Equal(3, mix.Ffma);
        Assert.Equal((1, 1), (mix.Lds, mix.Lds128));
        Assert.Equal((2, 2), (mix.Ldg, mix.Ldg128));
        Assert.Equal((1, 1), (mix.Sts, mix.Sts128));
        Assert.Equal((1, 1), (mix.Stg, mix.Stg128));
        Assert.Equal(3, mix.Imad);
        Assert.Equal(5, mix.Shfl);
        Assert.Equal(1, mix.Bar);
        Assert.Equal(0, mix.Hmma);
        Assert.Equal(1.0, mix.FfmaPerLoad);
        Assert.Equal(12, mix.Opcodes["NOP"]);
        Assert.Equal(1, mix.Opcodes["FMUL"]);
    }

    [Fact]
    public void Volta_forms_count_too_and_a_never_run_instruction_does_not()
    {
        // sm_70 writes LDS.U.128 and LDG.E.128.SYS, and pads with "@!PT SHFL.IDX", which never runs.
        var mix = SassListing.Parse(Fixture.Read("warp_dot.sm_70.sass")).Single().Mix();

        Assert.Equal((1, 1), (mix.Lds, mix.Lds128));
        Assert.Equal((2, 2), (mix.Ldg, mix.Ldg128));
        Assert.Equal(5, mix.Shfl);
        Assert.Equal(3, mix.Imad);
    }

    [Fact]
    public void The_main_loop_is_the_innermost_loop_with_the_most_multiply_adds()
    {
        // The fixture's loops: 0xf30..0x1070 (the unrolled points), 0x640..0x10a0 around it (the stages), and
        // the closing "BRA 0x1270" onto itself, which holds no multiply-add. Counted by hand from 0xf30 to 0x1070.
        var loop = SassListing.Parse(Fixture.Read("gemm_64x64x32.sm_90.sass")).Single().Mix().MainLoop!;

        Assert.Equal(new Gensor.Feedback.LoopMix(Instructions: 21, Ffma: 8, Hmma: 0, Loads: 3), loop);
        Assert.Equal(8 / 21.0, loop.MathShare, 6);
        // A function without a backward branch has none.
        Assert.Null(SassListing.Parse(Fixture.Read("warp_dot.sm_90.sass")).Single().Mix().MainLoop);
    }

    [Fact]
    public void Every_imad_variant_counts_as_an_imad()
    {
        var function = SassListing.Parse(Fixture.Read("gemm_64x64x32.sm_90.sass")).Single();

        var variants = function.Instructions.Where(i => i.Opcode == "IMAD").Select(i => string.Join('.', [i.Opcode, .. i.Modifiers])).Distinct().ToHashSet();
        // grep finds 28 IMAD, 15 IMAD.HI.U32, 4 IMAD.IADD, 16 IMAD.MOV, 15 IMAD.MOV.U32, 6 IMAD.SHL.U32, 5 IMAD.U32, 16 IMAD.WIDE.U32: 105.
        Assert.Superset(new HashSet<string> { "IMAD", "IMAD.MOV.U32", "IMAD.WIDE.U32", "IMAD.SHL.U32", "IMAD.HI.U32", "IMAD.IADD" }, variants);
        Assert.Equal(function.Instructions.Count(i => i.Opcode == "IMAD"), function.Mix().Imad);
        Assert.Equal(105, function.Mix().Imad);
    }

    [Fact]
    public void A_generated_gemm_kernel_reads_as_the_emit_command_reported_it()
    {
        var mix = SassListing.Parse(Fixture.Read("gemm_64x64x32.sm_90.sass")).Single().Mix();

        // What `gensor emit ... --lang sass` printed for this kernel when the fixture was made.
        Assert.Equal((296, 8, 3, 1, 8, 8), (mix.Total, mix.Ffma, mix.Lds, mix.Lds128, mix.Ldg, mix.Ldg128));
    }

    [Fact]
    public void A_generic_atomics_code_for_shared_and_local_addresses_is_counted_apart()
    {
        // A split-K GEMM (64^3, block=8x32 thread=1x2 reduce=8 split=2): each thread adds its two partial sums
        // with ATOM.E, each followed by ptxas's fallback for a non-global address (a CAS loop on shared memory:
        // LDS, ATOMS; a load, add and store on local: LD, ST), the first joining at a BSYNC, the second ending in EXITs.
        var function = SassListing.Parse(Fixture.Read("split_gemm.sm_90.sass")).Single();
        var mix = function.Mix();

        // 0xaf0..0xba0 (12) and 0xbe0..0xcb0 (14).
        Assert.Equal(26, mix.GenericFallback);
        Assert.Equal(2, function.Instructions.Count(i => i.Opcode == "LDS"));
        Assert.Equal(0, mix.Lds);
        // The 64 operand loads of the 2x8 points of two stages; the fallback's two LD are left out.
        Assert.Equal(64, mix.Ldg);
        Assert.Equal(0, mix.Stg);
        Assert.Equal(2, mix.Opcodes["ATOM"]);
        Assert.False(mix.Opcodes.ContainsKey("ATOMS"));
        Assert.Equal(64, mix.Ffma);
    }

    [Fact]
    public void Live_cuobjdump_output_is_read()
    {
        var tools = Support.InstalledTools.Require();
        var assembled = PtxAssembler.Assemble(tools, Fixture.Read("warp_dot.ptx"), "sm_90");

        var (text, _) = SassDisassembler.Disassemble(tools, assembled.Cubin);
        var mix = SassListing.Parse(text).Single().Mix();

        // What the PTX asks for; the assembler's scheduling does not change these counts.
        Assert.Equal((1, 2, 1, 1, 5, 1), (mix.Lds128, mix.Ldg128, mix.Sts128, mix.Stg128, mix.Shfl, mix.Bar));
    }

    [Fact]
    public void A_listing_with_no_function_has_no_single_function()
    {
        Assert.Throws<FormatException>(() => SassListing.Parse("\n\tcode for sm_90\n").Single());
    }
}
