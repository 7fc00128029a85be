using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Backend.Inspection;

/// <summary>
/// GPU truth for a kernel: assemble its PTX for a profile's architecture with
/// ptxas, disassemble the cubin with cuobjdump, and turn both reports and the
/// launch into <see cref="KernelResources"/> (registers, spills, shared memory,
/// instruction mix, occupancy and waves on the profile).
/// </summary>
public static class KernelInspector
{
    /// <summary>True when <paramref name="profile"/> is an NVIDIA GPU's, whose kernels ptxas can assemble.</summary>
    public static bool IsCuda(HardwareProfile profile) => AllocationRules.For(profile.Architecture) is not null;

    /// <summary>Compiles <paramref name="source"/> to PTX for the profile's architecture (Roslyn, then ILGPU), then inspects it.</summary>
    /// <exception cref="InvalidOperationException">The source did not compile, or a tool refused it.</exception>
    public static KernelInspection Inspect(NvidiaTools tools, KernelSource source, HardwareProfile profile)
    {
        var clock = Stopwatch.StartNew();
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        var method = compiled.Method ?? throw new InvalidOperationException($"the kernel did not compile: {compiled.Error}");
        var ptx = OfflineKernelCompiler.Ptx(method, profile.Architecture);
        return Inspect(tools, ptx, profile, source.Launch, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Inspects PTX that is already written, launched as <paramref name="launch"/> says;
    /// <paramref name="ptxMs"/> is what producing the PTX cost, for the timings.
    /// </summary>
    /// <exception cref="InvalidOperationException">A tool refused the PTX or the cubin.</exception>
    public static KernelInspection Inspect(NvidiaTools tools, string ptx, HardwareProfile profile, LaunchContract launch, double ptxMs = 0)
    {
        var assembled = PtxAssembler.Assemble(tools, ptx, profile.Architecture);
        var (sass, disassembleMs) = SassDisassembler.Disassemble(tools, assembled.Cubin);
        var function = SassListing.Parse(sass).Single();
        var report = assembled.Report;
        // Gensor's kernels allocate all their shared memory statically, so ptxas's figure is the block's whole use.
        var occupancy = KernelOccupancy.Of(profile, launch.GroupSize, launch.GridSize, report.Registers, report.SharedMemoryBytes);
        var resources = new KernelResources(
            report.Architecture, report.Name, report.Registers, report.StackFrameBytes, report.SpillStoreBytes, report.SpillLoadBytes,
            report.SharedMemoryBytes, function.Mix(), occupancy,
            new ToolIdentity(tools.Ptxas, tools.Release.ToString(2), assembled.PtxVersionLoweredTo?.ToString(2)),
            new InspectionTimings(ptxMs, assembled.Milliseconds, disassembleMs));
        var header = $"// Gensor: SASS of {report.Name} for {report.Architecture}, from ptxas {tools.Release.ToString(2)} ({tools.Ptxas}) and cuobjdump -sass"
            + (assembled.PtxVersionLoweredTo is { } lowered ? $"; PTX .version lowered to {lowered.ToString(2)} for this ptxas" : "")
            + $".\n// {report.Registers} registers, {report.SpillStoreBytes} bytes spill stores, {report.SpillLoadBytes} bytes spill loads, {report.SharedMemoryBytes} bytes static shared memory.\n";
        return new KernelInspection(resources, assembled.Cubin, header + sass, assembled.Ptx);
    }

    /// <summary>
    /// What ptxas alone reports of PTX (registers, spills, shared memory and the
    /// occupancy they allow), without disassembling: the instruction mix is null.
    /// Cheaper than <see cref="Inspect(NvidiaTools, string, HardwareProfile, LaunchContract, double)"/>
    /// by the cuobjdump run, which is what construction's compiler check needs.
    /// </summary>
    /// <exception cref="InvalidOperationException">ptxas refused the PTX.</exception>
    public static KernelResources Assemble(NvidiaTools tools, string ptx, HardwareProfile profile, LaunchContract launch, double ptxMs = 0)
    {
        var assembled = PtxAssembler.Assemble(tools, ptx, profile.Architecture);
        var report = assembled.Report;
        var occupancy = KernelOccupancy.Of(profile, launch.GroupSize, launch.GridSize, report.Registers, report.SharedMemoryBytes);
        return new KernelResources(
            report.Architecture, report.Name, report.Registers, report.StackFrameBytes, report.SpillStoreBytes, report.SpillLoadBytes,
            report.SharedMemoryBytes, null, occupancy,
            new ToolIdentity(tools.Ptxas, tools.Release.ToString(2), assembled.PtxVersionLoweredTo?.ToString(2)),
            new InspectionTimings(ptxMs, assembled.Milliseconds, 0));
    }
}
