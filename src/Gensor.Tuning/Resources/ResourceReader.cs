using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Backend.Emission;
using Gensor.Backend.Inspection;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Hardware;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Resources;

/// <summary>
/// Reads a kernel's resources for the reports: NVIDIA's tools for the target
/// profile, and on a CUDA device the driver's attributes. Never invents a
/// figure: without tools the reading is empty with a reason, said once per
/// process on the log.
/// </summary>
public static class ResourceReader
{
    private static int _warned;

    /// <summary>The resources of <paramref name="source"/> on <paramref name="target"/>, compiling it to PTX first.</summary>
    public static ResourceReading Read(KernelSource source, HardwareProfile target, ILogger logger) =>
        Read(source, target, logger, ptx: null, ptxMs: 0);

    /// <summary>
    /// The resources of a kernel whose PTX for the target's architecture is <paramref name="ptx"/>,
    /// which took <paramref name="ptxMs"/> to make (when null, it is compiled here).
    /// </summary>
    public static ResourceReading Read(KernelSource source, HardwareProfile target, ILogger logger, string? ptx, double ptxMs)
    {
        if (!KernelInspector.IsCuda(target))
        {
            return new ResourceReading(null, $"the target {target.Name} ({target.Architecture}) is not an NVIDIA GPU profile");
        }
        if (!NvidiaTools.TryFind(out var tools, out var missing))
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                logger.LogWarning("no kernel resources: {Missing}", missing);
            }
            return new ResourceReading(null, missing);
        }
        try
        {
            var inspection = ptx is null ? KernelInspector.Inspect(tools, source, target) : KernelInspector.Inspect(tools, ptx, target, source.Launch, ptxMs);
            logger.LogInformation("{Kernel}: resources read back in {Ms:F0} ms", source.ClassName, inspection.Resources.Timings.TotalMs);
            return new ResourceReading(inspection.Resources, null);
        }
        catch (Exception exception) when (exception is InvalidOperationException or FormatException or TimeoutException)
        {
            logger.LogWarning("{Kernel}: no resources: {Reason}", source.ClassName, exception.Message);
            return new ResourceReading(null, exception.Message);
        }
    }

    /// <summary>
    /// <paramref name="report"/> with the resources of its best kernel: from NVIDIA's tools for
    /// the report's target, and from the driver when <paramref name="device"/> is a CUDA device.
    /// A report with no best kernel is returned as it is.
    /// </summary>
    public static TuneReport Attach(TuneReport report, HardwareProfile target, KernelDevice device, ILogger logger)
    {
        if (report.BestSource is not { } source)
        {
            return report;
        }
        var cuda = device.Accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.Cuda;
        if (!KernelInspector.IsCuda(target) && !cuda)
        {
            return report with { Resources = Read(source, target, logger) };
        }
        // One compilation serves both the target's PTX and the driver's load.
        var clock = Stopwatch.StartNew();
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        if (compiled.Method is not { } method)
        {
            return report with { Resources = new ResourceReading(null, $"the kernel did not compile: {compiled.Error}") };
        }
        var ptx = KernelInspector.IsCuda(target) ? OfflineKernelCompiler.Ptx(method, target.Architecture) : null;
        var reading = Read(source, target, logger, ptx, clock.Elapsed.TotalMilliseconds);
        return report with { Resources = reading with { Driver = cuda ? ReadDriver(device, method, source, logger) : null } };
    }

    private static DriverKernelAttributes? ReadDriver(KernelDevice device, System.Reflection.MethodInfo method, KernelSource source, ILogger logger)
    {
        try
        {
            return CudaDriverAttributes.Read(device, method, source.Launch.GroupSize);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ILGPU.Runtime.Cuda.CudaException)
        {
            logger.LogWarning("{Kernel}: the driver's attributes could not be read: {Reason}", source.ClassName, exception.Message);
            return null;
        }
    }
}
