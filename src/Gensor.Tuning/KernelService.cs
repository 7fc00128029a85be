using System.Security.Cryptography;
using System.Text;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Construction;
using Gensor.Construction.Feedback;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Etir;

namespace Gensor.Tuning;

/// <summary>
/// The two steps <c>tune</c> and <c>emit</c> share, so that what is written
/// is what was measured: constructing a request's candidates, and lowering a
/// schedule to its kernel source. A kernel's class name depends only on the
/// operator and the schedule, so every process that lowers a schedule (the
/// tuner, a measurement worker, <c>emit</c>) writes the same text.
/// </summary>
public static class KernelService
{
    /// <summary>
    /// The request's candidates, best first: its fixed schedule alone, or the
    /// policy's top-k for the target (checked by the request's compiler when it
    /// has one), with the states the policy visited.
    /// </summary>
    /// <exception cref="GensorException">A fixed schedule does not fit the operator or the target, or is TF32 without <see cref="TuneRequest.AllowTf32"/> (bad input).</exception>
    public static ConstructionResult Construct(TuneRequest request)
    {
        if (request.FixedSchedule is { } schedule)
        {
            GivenSchedule.CheckLegal(request.Operator, schedule, request.Target, request.AllowTf32);
            return new ConstructionResult("fixed", [new RankedSchedule(schedule, double.NaN)], 1, 0);
        }
        var policy = request.Compiler is { } compiler ? new CompilerCheckedPolicy(request.Policy, compiler) : request.Policy;
        var construction = policy.Construct(request.Operator, request.Target, new ConstructionOptions(request.TopK, request.Seed));
        return construction with { Candidates = [.. construction.Candidates.Take(request.TopK)] };
    }

    /// <summary>The kernel source of <paramref name="schedule"/>, in class <see cref="ClassName"/>.</summary>
    public static KernelSource Lower(Operator op, Schedule schedule) =>
        CSharpKernelGenerator.Generate(new EtirState(op, schedule), ClassName(op, schedule));

    /// <summary>
    /// <c>GemmKernel_1a2b3c4d</c>: the operator's name as a type name, then the
    /// first 8 hex digits of the SHA-256 of the schedule's text, so that the
    /// candidates of one compilation differ and a schedule is always named alike.
    /// </summary>
    public static string ClassName(Operator op, Schedule schedule)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schedule.ToString())))[..8];
        return $"{CSharpNames.TypeName(op.Name)}Kernel_{hash}";
    }
}
