using Gensor.Construction;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Tuning.Records;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Emission;

/// <summary>
/// Chooses the schedule <c>emit</c> writes for a target that need not be
/// present: a given schedule, else the fastest verified record measured on
/// the same kind of device (when it fits the target), else the policy's first
/// choice through <see cref="KernelService.Construct"/>, the same construction
/// <c>tune</c> uses.
/// </summary>
public static class Emitter
{
    /// <summary>
    /// The schedule for <paramref name="request"/>'s operator on its target.
    /// <paramref name="records"/> are the records file's contents, or null
    /// when none was given; why a record was passed over goes to <paramref name="logger"/>.
    /// A recorded TF32 tensor-core schedule is taken only with the request's <see cref="TuneRequest.AllowTf32"/>,
    /// as the policies construct one only then: it rounds float32 inputs to 10 significand bits.
    /// </summary>
    /// <exception cref="GensorException">A fixed schedule does not fit, or is TF32 without <see cref="TuneRequest.AllowTf32"/> (bad input); or the policy constructed nothing.</exception>
    public static (Schedule Schedule, ScheduleOrigin Origin) Choose(TuneRequest request, RecordSet? records, ILogger logger)
    {
        var op = request.Operator;
        if (request.FixedSchedule is not null)
        {
            var given = KernelService.Construct(request).Candidates;
            return (given[0].Schedule, new ScheduleOrigin("given", "fixed", null, null));
        }
        if (records is not null && FromRecords(request, records, logger) is { } recorded)
        {
            return recorded;
        }
        var first = KernelService.Construct(request with { TopK = 1 }).Candidates.FirstOrDefault()
            ?? throw new GensorException(new GensorError(ErrorKind.NoResult, $"the {request.Policy.Name} policy constructed no schedule of {op.Name} for {request.Target.Name}"));
        return (first.Schedule, new ScheduleOrigin("model", request.Policy.Name, double.IsNaN(first.EstimatedMs) ? null : first.EstimatedMs, null));
    }

    private static (Schedule, ScheduleOrigin)? FromRecords(TuneRequest request, RecordSet records, ILogger logger)
    {
        var op = request.Operator;
        var target = request.Target;
        var form = CanonicalForm.Of(op);
        var verified = records.Latest().Where(r => r.OpHash == form.Hash && r.Verified && r.MeasuredMs is not null).ToArray();
        var tf32 = verified.Count(r => r.Schedule.Mma == MmaShape.M16N8K8Tf32);
        if (tf32 > 0 && !request.AllowTf32)
        {
            logger.LogWarning("{Op}: passing over {Count} recorded TF32 tensor-core schedules (float32 inputs rounded to 10 significand bits); --allow-tf32 allows them",
                op.Name, tf32);
            verified = [.. verified.Where(r => r.Schedule.Mma != MmaShape.M16N8K8Tf32)];
        }
        if (verified.Length == 0)
        {
            logger.LogWarning("{Op}: the records hold no verified measurement of this operator; using the {Policy} policy's choice", op.Name, request.Policy.Name);
            return null;
        }
        // A time measured on the CPU simulator says nothing about a GPU, nor the reverse: only the same kind of device counts.
        var sameKind = verified.Where(r => IsSimulated(r.Device) == target.Simulated).ToArray();
        if (sameKind.Length == 0)
        {
            var devices = string.Join(", ", verified.Select(r => r.Device).Distinct());
            logger.LogWarning("{Op}: the records' {Count} verified measurements were made on {Devices}, not on a {Kind} like {Target}, and say nothing about it; using the {Policy} policy's choice",
                op.Name, verified.Length, devices, target.Simulated ? "CPU accelerator" : "GPU", target.Name, request.Policy.Name);
            return null;
        }
        // Times from one device compare with each other, not with another's: records made for this profile come first.
        var pool = sameKind.Any(r => r.Profile == target.Name) ? sameKind.Where(r => r.Profile == target.Name) : sameKind;
        var best = pool.OrderBy(r => r.MeasuredMs).ThenBy(r => r.Time).First();
        var schedule = form.FromCanonical(best.Schedule);
        var reason = Legality.Check(op, schedule, target);
        if (reason is not null)
        {
            logger.LogWarning("{Op}: the best recorded schedule ({Schedule}) does not fit {Profile}: {Reason}; using the {Policy} policy's choice",
                op.Name, schedule, target.Name, reason, request.Policy.Name);
            return null;
        }
        if (!best.ByThisBuild)
        {
            // The schedule is still the best measured, but the kernel written is this build's lowering of it.
            logger.LogWarning("{Op}: the best recorded schedule was measured by another build of gensor ({Version}); this build's kernel of it, written here, may differ and was not measured or verified: tune it with --records to do so",
                op.Name, best.Version);
        }
        return (schedule, new ScheduleOrigin("records", best.Policy, null, best));
    }

    /// <summary>Records name the device as <c>kind: name</c>; <c>cpu</c> is ILGPU's CPU accelerator.</summary>
    private static bool IsSimulated(string device) => device.StartsWith("cpu:", StringComparison.Ordinal);
}
