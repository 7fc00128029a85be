using Gensor.Construction.Cost;
using Gensor.Construction.Policies;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Construction;
using Gensor.Tests.Workflow;
using Gensor.Tuning.Calibration;
using Xunit;

namespace Gensor.Tests.Calibration;

/// <summary>
/// Calibration against "measurements" that a known profile's model made: the fit must
/// give back that profile's constants, since nothing but the constants differs.
/// </summary>
public class CalibratorTests
{
    private static readonly HardwareProfile Base = BuiltInProfiles.H100;

    /// <summary>H100 with its cost-model constants moved by 1.3x to 2x, some up and some down.</summary>
    private static readonly HardwareProfile Truth = Base with
    {
        MemoryLatencyNs = Base.MemoryLatencyNs * 1.5,
        DramEfficiency = Base.DramEfficiency * 0.7,
        IssueEfficiency = Base.IssueEfficiency * 0.6,
        L2BandwidthGBs = Base.EffectiveL2BandwidthGBs * 0.5,
        LaunchMicroseconds = Base.LaunchMicroseconds * 2,
    };

    [Fact]
    public void Records_made_with_a_known_profile_give_back_its_constants_within_ten_percent()
    {
        var samples = SamplesUnder(Truth);

        var result = Calibrator.Fit(samples, Base);

        foreach (var name in new[] { "memory_latency_ns", "dram_efficiency", "issue_efficiency", "l2_bandwidth_gbs", "launch_us" })
        {
            var fit = result.Parameters.Single(p => p.Name == name);
            var truth = CalibrationParameter.Named(name)!.Get(Truth);
            Assert.True(fit.Fitted, $"{name}: {fit.Note}");
            Assert.True(fit.After / truth is >= 0.9 and <= 1.1, $"{name}: fitted {fit.After}, truth {truth} (before {fit.Before}); after {result.After}; {string.Join(", ", result.Parameters.Select(p => p.Name + "=" + p.After))}");
        }
        Assert.True(result.After.MedianAbsLogError < 0.01, $"median |log error| {result.After.MedianAbsLogError}");
    }

    [Fact]
    public void A_fitted_constant_is_no_longer_listed_as_estimated_and_a_kept_one_still_is()
    {
        // A profile file without the constants takes them from a built-in one and lists them; once the records
        // have fitted one, it is the device's own figure (a calibrated profile listed them still: found by fuzzing).
        string[] estimated = ["launch_us", "memory_latency_ns", "clock_mhz", "barrier_ns"];
        var result = Calibrator.Fit(SamplesUnder(Truth), Base with { EstimatedFields = estimated });

        foreach (var fit in result.Parameters.Where(p => estimated.Contains(p.Name)))
        {
            Assert.True(fit.Fitted != result.Profile.EstimatedFields.Contains(fit.Name), $"{fit.Name}: fitted {fit.Fitted}, listed in [{string.Join(", ", result.Profile.EstimatedFields)}]");
        }
        Assert.Contains(result.Parameters, p => p.Name == "launch_us" && p.Fitted);
        Assert.Contains(result.Parameters, p => estimated.Contains(p.Name) && !p.Fitted);
    }

    [Fact]
    public void Records_made_with_another_overlap_loss_give_it_back()
    {
        // The built-in 0.01 is a guess: GPU records are what should set it.
        var truth = Base with { OverlapLoss = 0.2 };

        var result = Calibrator.Fit(SamplesUnder(truth), Base);

        var fit = result.Parameters.Single(p => p.Name == "overlap_loss");
        Assert.True(fit.Fitted, fit.Note);
        Assert.True(fit.After / truth.OverlapLoss is >= 0.9 and <= 1.1, $"fitted {fit.After}, truth {truth.OverlapLoss}; {string.Join(", ", result.Parameters.Select(p => p.Name + "=" + p.After))}");
    }

    [Fact]
    public void Calibrating_to_the_base_profiles_own_estimates_changes_nothing()
    {
        var samples = SamplesUnder(Base);

        var result = Calibrator.Fit(samples, Base);

        Assert.All(result.Parameters.Where(p => p.Before > 0), p => Assert.InRange(p.After / p.Before, 0.99, 1.01));
        Assert.Equal(1.0, result.After.Spearman!.Value, 6);
    }

    [Fact]
    public void A_constant_no_estimate_depends_on_is_kept_and_says_why()
    {
        // GPU barriers cost nothing per thread: the thread-sync term is off and stays off.
        var samples = SamplesUnder(Truth);

        var result = Calibrator.Fit(samples, Base);

        var sync = result.Parameters.Single(p => p.Name == "thread_sync_ns");
        Assert.False(sync.Fitted);
        Assert.Equal(0, sync.After);
        Assert.NotNull(sync.Note);
    }

    [Fact]
    public void Fitting_is_deterministic()
    {
        var samples = SamplesUnder(Truth);

        var first = Calibrator.Fit(samples, Base);
        var second = Calibrator.Fit(samples, Base);

        Assert.Equal(first.Profile, second.Profile);
    }

    [Fact]
    public void A_sample_with_its_kernels_registers_is_estimated_with_them()
    {
        // 255 registers, as ptxas might compile this 8x8-output tile, leave fewer blocks resident than the
        // model's own register estimate does: the estimate follows the kernel that ran.
        var op = TestOperators.Gemm(2048, 2048, 2048);
        var schedule = Schedule.Parse("block=64x64 thread=8x8 reduce=16 shared=A,B vector=4 pad=4 prefetch=1 buffers=2");
        var hash = CanonicalForm.Of(op).Hash;

        var estimated = new CalibrationSample(op.Name, hash, op, schedule, 1.0).EstimateMs(Base);
        var compiled = new CalibrationSample(op.Name, hash, op, schedule, 1.0, Registers: 255).EstimateMs(Base);

        Assert.Equal(CostModel.EstimateMs(op, schedule, Base), estimated);
        Assert.Equal(CostModel.EstimateMs(op, schedule, Base, 255), compiled);
        Assert.NotEqual(estimated, compiled);
    }

    [Fact]
    public void A_records_registers_reach_its_calibration_sample()
    {
        var record = Records.Make(Records.Gemm(), "block=16x16 thread=2x2 reduce=8 shared=A,B", 2.0) with { Registers = 40 };

        Assert.Equal(40, CalibrationSet.Select([record], null).Samples.Single().Registers);
        Assert.Equal(1, CalibrationSet.Select([record], null).SamplesWithRegisters);
    }

    /// <summary>
    /// Candidates of several kinds of operator, as the gensor, roller and naive policies
    /// construct them for the base profile, "measured" as <paramref name="truth"/>'s model estimates them.
    /// </summary>
    private static IReadOnlyList<CalibrationSample> SamplesUnder(HardwareProfile truth)
    {
        Operator[] operators =
        [
            TestOperators.Gemm(512, 512, 512),
            TestOperators.Conv2d(1, 32, 64, 28, 3, 1, 1),
            TestOperators.RowReduce(4096, 4096),
            TestOperators.Elementwise(2048, 2048),
            TestOperators.MaxPool(1, 32, 56),
        ];
        var samples = new List<CalibrationSample>();
        foreach (var op in operators)
        {
            var hash = CanonicalForm.Of(op).Hash;
            var schedules = new ISchedulePolicy[] { new GensorPolicy(), new RollerPolicy(), new NaivePolicy() }
                .SelectMany(policy => policy.Construct(op, Base, new ConstructionOptions(TopK: 8)).Candidates)
                .Select(c => c.Schedule)
                .Distinct();
            samples.AddRange(schedules.Select(s => new CalibrationSample(op.Name, hash, op, s, CostModel.EstimateMs(op, s, truth))));
        }
        return samples;
    }
}
