using Gensor.Tuning.Records;

namespace Gensor.Tuning.Emission;

/// <summary>Where an emitted schedule came from, for launch.json and the user.</summary>
/// <param name="Source"><c>model</c> (the policy's first choice), <c>records</c> (the best measured record) or <c>given</c> (<c>--schedule</c>).</param>
/// <param name="Policy">The policy that constructed it (for a record, the one that constructed the measured candidate).</param>
/// <param name="EstimatedMs">The cost model's estimate on the target, when the model chose.</param>
/// <param name="Record">The record it came from, when it came from records.</param>
public sealed record ScheduleOrigin(string Source, string Policy, double? EstimatedMs, TuningRecord? Record);
