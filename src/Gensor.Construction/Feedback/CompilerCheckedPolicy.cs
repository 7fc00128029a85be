using System.Diagnostics;
using Gensor.Analysis;
using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Construction.Space;
using Gensor.Etir;
using Gensor.Feedback;
using Gensor.Hardware;

namespace Gensor.Construction.Feedback;

/// <summary>
/// A policy whose leading candidates go through the vendor's compiler before
/// they are ranked (Triton prunes its configurations the same way): a kernel
/// that spills registers to local memory is dropped, so is one whose real
/// registers break legality's register limits or occupancy goal, and the others are
/// estimated again with the registers ptxas really gave them, which decide
/// occupancy. The cost model's register count is an estimate (15% off ptxas's on the
/// median, over 50% for a tenth of the leading candidates of the bench suites); the
/// compiler's is the truth for that kernel.
/// Candidates beyond the checked ones keep the model's estimate and come after.
/// A next round compiles the following candidates when every kernel so far spilled, or when the
/// model rates them better than the best compiled kernel; after a kernel spilled it takes only
/// candidates whose register estimate is below the lowest estimate that spilled: the compiler
/// has shown where the model's estimate runs out on this operator.
/// </summary>
/// <param name="inner">The policy that constructs the candidates.</param>
/// <param name="compiler">Compiles schedules and reads back their resources.</param>
/// <param name="checkedCount">How many leading candidates to compile (at least the top-k asked for).</param>
public sealed class CompilerCheckedPolicy(ISchedulePolicy inner, ICompilerFeedback compiler, int checkedCount = CompilerCheckedPolicy.DefaultChecked) : ISchedulePolicy
{
    /// <summary>Candidates compiled when the caller asks for fewer: enough to replace the ones that spill.</summary>
    public const int DefaultChecked = 8;

    /// <summary>The inner policy's name: records and reports name the construction, not the check.</summary>
    public string Name => inner.Name;

    /// <summary>
    /// Rounds of <c>checkedCount</c> candidates compiled, at most, while every kernel compiled so far
    /// spills or the next candidates' estimates beat the best compiled one's: ptxas gave 255 registers and
    /// spilled all eight leading candidates of some resnet50 batch-32 1x1 convolutions whose estimate said
    /// about 200, and the next ranks, structurally different, may not.
    /// </summary>
    public const int MaxRounds = 3;

    /// <summary>
    /// Candidates the inner policy ranks for the rounds to choose from. Its leading ones are often
    /// one tile shape in variants (resnet50 batch 32's s1_expand for h100: the first 30, all 128
    /// outputs per thread, all spilled), so later rounds need ranks far down the list.
    /// </summary>
    public const int Pool = 256;

    /// <inheritdoc />
    public ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options)
    {
        var count = Math.Max(checkedCount, options.TopK);
        // More than are checked, so that the unchecked ones can stand in for those dropped.
        var constructed = inner.Construct(op, profile, options with { TopK = Math.Max(Pool, MaxRounds * count + options.TopK) });
        var clock = Stopwatch.StartNew();
        var feedback = new List<KernelFeedback>();
        var kept = new List<RankedSchedule>();
        var spilling = new List<(RankedSchedule Candidate, int Bytes)>();
        var overLimit = 0;
        var estimates = new Dictionary<Schedule, int>();
        int Estimate(Schedule schedule) => estimates.TryGetValue(schedule, out var registers)
            ? registers
            : estimates[schedule] = Legality.Footprint(op, schedule, profile).Registers;
        var notChecked = constructed.Candidates.ToList();
        // The lowest register estimate of a kernel that spilled: after a round in which every kernel
        // spilled, the next takes only candidates the model thinks need fewer registers than that.
        var spilledFrom = int.MaxValue;
        for (var round = 0; round < MaxRounds; round++)
        {
            var head = notChecked.Where(c => Estimate(c.Schedule) < spilledFrom).Take(count).ToArray();
            // Another round while every kernel so far spilled, or while the model rates the next candidates
            // better than the best compiled one: ptxas can give a whole round more registers than the
            // estimate (GPT-2's MLP-up for h100: the model's first 8 at 245-249 registers, 0.129 ms with
            // them, against 0.0976 ms for its 9th at 144).
            if (head.Length == 0 || (kept.Count > 0 && head[0].EstimatedMs >= kept.Min(c => c.EstimatedMs)))
            {
                break;
            }
            var answers = compiler.Inspect(op, [.. head.Select(c => c.Schedule)], profile);
            feedback.AddRange(answers);
            notChecked.RemoveAll(head.Contains);
            for (var i = 0; i < head.Length; i++)
            {
                if (answers[i].Resources is not { } resources)
                {
                    // Nothing read back (the tools refused it): the model's estimate stands and the measurement will tell.
                    kept.Add(head[i]);
                }
                else if (resources.Spills)
                {
                    spilling.Add((head[i] with { Compiled = resources }, resources.SpillStoreBytes + resources.SpillLoadBytes));
                    spilledFrom = Math.Min(spilledFrom, Estimate(head[i].Schedule));
                }
                else if (Legality.CheckRegisters(op, head[i].Schedule, profile, resources.Registers) is not null)
                {
                    // More registers than the estimate that made it legal: the block no longer fits the
                    // register file, or the multiprocessor holds fewer threads than the occupancy goal.
                    overLimit++;
                    spilledFrom = Math.Min(spilledFrom, Estimate(head[i].Schedule));
                }
                else
                {
                    kept.Add(head[i] with
                    {
                        EstimatedMs = CostModel.EstimateMs(op, head[i].Schedule, profile, resources.Registers),
                        Compiled = resources,
                    });
                }
            }
        }
        var ms = clock.Elapsed.TotalMilliseconds;

        var ranked = kept.OrderBy(c => c.EstimatedMs).ToList();
        var rest = notChecked;
        if (ranked.Count == 0)
        {
            // Every checked kernel spills: the least spilling ones are still better than no kernel at all.
            ranked.AddRange(spilling.OrderBy(s => s.Bytes).ThenBy(s => s.Candidate.EstimatedMs).Select(s => s.Candidate));
            spilling.Clear();
        }
        return constructed with
        {
            Candidates = [.. ranked.Concat(rest).Take(options.TopK)],
            Check = new CompilerCheck(feedback, spilling.Count, ms) { DroppedOverLimit = overLimit },
        };
    }
}
