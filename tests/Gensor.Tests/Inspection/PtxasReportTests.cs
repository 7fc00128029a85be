using Gensor.Backend.Inspection;

namespace Gensor.Tests.Inspection;

/// <summary>Reading <c>ptxas -v</c>'s resource report.</summary>
public sealed class PtxasReportTests
{
    [Fact]
    public void Registers_and_static_shared_memory_of_a_generated_kernel_are_read()
    {
        var entry = PtxasReport.Parse(Fixture.Read("gemm_64x64x32.sm_90.ptxas.txt")).Single();

        Assert.Equal(new PtxasFunction("Kernel_Kernel", "sm_90", 40, 0, 0, 0, 9216), entry);
    }

    [Fact]
    public void Spill_stores_spill_loads_and_the_stack_frame_are_read()
    {
        var entry = PtxasReport.Parse(Fixture.Read("gemm_128.sm_90.maxrregcount32.ptxas.txt")).Single();

        Assert.Equal(32, entry.Registers);
        Assert.Equal(512, entry.StackFrameBytes);
        Assert.Equal(1148, entry.SpillStoreBytes);
        Assert.Equal(912, entry.SpillLoadBytes);
        Assert.Equal(35328, entry.SharedMemoryBytes);
    }

    [Fact]
    public void A_constant_bank_figure_after_shared_memory_is_ignored()
    {
        // sm_70's report ends with "2048 bytes smem, 376 bytes cmem[0]".
        var entry = PtxasReport.Parse(Fixture.Read("warp_dot.sm_70.ptxas.txt")).Single();

        Assert.Equal(new PtxasFunction("warp_dot", "sm_70", 21, 0, 0, 0, 2048), entry);
    }

    [Fact]
    public void The_cuda_12_form_with_barriers_compile_times_and_several_entries_is_read()
    {
        // The layout CUDA 12's ptxas prints (figures invented for the test).
        const string report = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Compiling entry function 'first' for 'sm_89'
            ptxas info    : Function properties for first
                0 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
            ptxas info    : Used 14 registers, used 1 barriers, 32 bytes smem, 376 bytes cmem[0]
            ptxas info    : Compile time = 23.759 ms
            ptxas info    : Compiling entry function 'second' for 'sm_89'
                0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
            ptxas info    : Used 96 registers, used 2 barriers, 384 bytes cmem[0]
            """;

        var entries = PtxasReport.Parse(report).Entries;

        Assert.Equal(
            [new PtxasFunction("first", "sm_89", 14, 0, 8, 4, 32), new PtxasFunction("second", "sm_89", 96, 0, 0, 0, 0)],
            entries);
    }

    [Fact]
    public void An_entry_without_a_register_count_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => PtxasReport.Parse("ptxas info    : Compiling entry function 'k' for 'sm_90'\n"));
    }

    [Fact]
    public void Live_ptxas_output_is_read()
    {
        var tools = Support.InstalledTools.Require();

        var assembled = PtxAssembler.Assemble(tools, Fixture.Read("warp_dot.ptx"), "sm_90");

        // The register count is the assembler's choice (19 with CUDA 11.8); the rest is fixed by the PTX.
        Assert.Equal(("warp_dot", "sm_90", 2048, 0, 0), (assembled.Report.Name, assembled.Report.Architecture, assembled.Report.SharedMemoryBytes, assembled.Report.SpillStoreBytes, assembled.Report.SpillLoadBytes));
        Assert.InRange(assembled.Report.Registers, 8, 255);
        Assert.Equal((byte)0x7f, assembled.Cubin[0]);
        Assert.Equal("ELF", System.Text.Encoding.ASCII.GetString(assembled.Cubin, 1, 3));
    }
}
