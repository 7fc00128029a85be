using System.Diagnostics;
using Gensor.Analysis;
using Gensor.Construction.Cost;
using Gensor.Etir;
using Gensor.Hardware;

namespace Gensor.Construction.Policies;

/// <summary>
/// Tensor cores as a construction choice: for a matrix product of 16-bit operands
/// (and of float32 ones when TF32 is allowed, <paramref name="allowTf32"/>, an
/// opt-in because it rounds the inputs to 10 significand bits),
/// the warp-tiled MMA schedules (<see cref="Schedules"/>) that are legal on the
/// profile compete with the policy's own candidates under the cost model, and the
/// best of both are returned. The set is small (a few hundred tilings before
/// legality), so it is enumerated rather than walked.
/// </summary>
public sealed class TensorCoreChoice(ISchedulePolicy inner, bool allowTf32 = false) : ISchedulePolicy
{
    /// <summary>Block tile sides tried along m and n.</summary>
    public static readonly int[] BlockSides = [32, 64, 128, 256];

    /// <summary>Warp tile sides along m (multiples of 16) and n (multiples of 8).</summary>
    public static readonly int[] WarpRows = [16, 32, 64];

    public static readonly int[] WarpColumns = [8, 16, 32, 64];

    /// <summary>Reduce steps (multiples of both MMAs' k); each single-buffered and pipelined (<see cref="TensorCoreTiling.Pipelined"/>).</summary>
    public static readonly int[] StageKs = [16, 32, 64];

    public string Name => inner.Name;

    public ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options)
    {
        var own = inner.Construct(op, profile, options);
        var clock = Stopwatch.StartNew();
        var tensorCore = Schedules(op, profile, allowTf32).ToList();
        if (tensorCore.Count == 0)
        {
            return own;
        }
        var ranked = own.Candidates.Concat(tensorCore.Select(s => new RankedSchedule(s, CostModel.EstimateMs(op, s, profile))));
        return own with
        {
            Candidates = Ranking.TopRanked(ranked, options.TopK),
            StatesVisited = own.StatesVisited + tensorCore.Count,
            ConstructMs = own.ConstructMs + clock.Elapsed.TotalMilliseconds,
        };
    }

    /// <summary>
    /// Every legal tensor-core schedule of <paramref name="op"/> on <paramref name="profile"/>: m16n8k16 ones for
    /// 16-bit operands, TF32 m16n8k8 ones for float32 operands when <paramref name="allowTf32"/>; none otherwise.
    /// </summary>
    public static IEnumerable<Schedule> Schedules(Operator op, HardwareProfile profile, bool allowTf32 = false)
    {
        if (MatrixProduct.Of(op) is not { } product)
        {
            yield break;
        }
        var mma = product.A.Type == ElementType.F32 ? MmaShape.M16N8K8Tf32 : MmaShape.M16N8K16;
        if (mma == MmaShape.M16N8K8Tf32 && !allowTf32)
        {
            yield break;
        }
        var shared = ValueArray.Of(product.A.Name, product.B.Name);
        foreach (var bm in BlockSides)
        {
            foreach (var bn in BlockSides)
            {
                foreach (var wm in WarpRows.Where(w => w <= bm))
                {
                    foreach (var wn in WarpColumns.Where(w => w <= bn))
                    {
                        foreach (var bk in StageKs)
                        {
                            foreach (var pipelined in new[] { false, true })
                            {
                                var schedule = new Schedule(ValueArray.Of(bm, bn), ValueArray.Of(wm, wn), ValueArray.Of(1, 1), ValueArray.Of(bk), shared, 1)
                                {
                                    Mma = mma,
                                    SharedBuffers = pipelined ? 2 : 1,
                                    RegisterPrefetch = pipelined,
                                };
                                if (Legality.Check(op, schedule, profile) is null)
                                {
                                    yield return schedule;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
