using Gensor.Hardware;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;
using ScottPlot;

namespace Gensor.Cli.Reporting;

/// <summary>
/// The report's pictures, drawn with ScottPlot: for one operator on one device,
/// every measured kernel of each policy and the tuning curve; for one device,
/// the roofline of the best kernels. Times are on log scales: policies differ
/// by orders of magnitude.
/// </summary>
internal static class ReportCharts
{
    public const int Width = 900;
    public const int Height = 520;

    private static readonly string[] _policyOrder = ["gensor", "roller", "exhaustive", "naive", "fixed"];

    /// <summary>The policies in a fixed order (so each keeps its colour across pictures), unknown ones last.</summary>
    public static IReadOnlyList<string> Order(IEnumerable<string> policies) =>
        policies.Distinct().OrderBy(p => Array.IndexOf(_policyOrder, p) is var i && i >= 0 ? i : _policyOrder.Length).ThenBy(p => p, StringComparer.Ordinal).ToArray();

    // Another policy's colour follows from its name alone: string.GetHashCode differs from run to run (the same report
    // drew in other colours each time), and Math.Abs of its int.MinValue throws.
    private static Color ColorOf(string policy) =>
        new ScottPlot.Palettes.Category10().GetColor(Array.IndexOf(_policyOrder, policy) is var i && i >= 0 ? i : _policyOrder.Length + policy.Sum(c => c) % 4);

    /// <summary>Each verified kernel of each policy as a dot (its measured time), the policy's best as a bar of its colour.</summary>
    public static Plot Kernels(string title, IReadOnlyList<TuningRecord> records)
    {
        var plot = new Plot();
        var policies = Order(records.Select(r => r.Policy));
        var positions = new List<double>();
        var labels = new List<string>();
        for (var p = 0; p < policies.Count; p++)
        {
            var times = records.Where(r => r.Policy == policies[p] && r.Verified && r.MeasuredMs is > 0).Select(r => r.MeasuredMs!.Value).Order().ToArray();
            if (times.Length == 0)
            {
                continue;
            }
            // Spread a policy's dots a little sideways so equal times stay visible.
            var xs = times.Select((_, i) => p + (times.Length == 1 ? 0 : -0.25 + 0.5 * i / (times.Length - 1))).ToArray();
            var dots = plot.Add.ScatterPoints(xs, times.Select(Math.Log10).ToArray(), ColorOf(policies[p]));
            dots.MarkerSize = 9;
            dots.LegendText = $"{policies[p]}: {NumberText.Count(times.Length, "kernel")}, best {NumberText.Ms(times[0])} ms";
            var best = plot.Add.Line(p - 0.35, Math.Log10(times[0]), p + 0.35, Math.Log10(times[0]));
            best.Color = ColorOf(policies[p]);
            best.LineWidth = 3;
            positions.Add(p);
            labels.Add(policies[p]);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.ToArray(), labels.ToArray());
        LogAxis(plot.Axes.Left, records.Where(r => r.Verified && r.MeasuredMs is > 0).Select(r => r.MeasuredMs!.Value));
        plot.Axes.SetLimitsX(-0.6, Math.Max(0.6, policies.Count - 0.4));
        plot.Title(title);
        plot.YLabel("measured time (ms, log scale)");
        plot.XLabel("policy (each dot a verified kernel; the bar is the policy's best)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>The best verified time so far against the number of kernels measured, one line per policy, in the order they were measured.</summary>
    public static Plot TuningCurve(string title, IReadOnlyList<TuningRecord> records)
    {
        var plot = new Plot();
        foreach (var policy in Order(records.Select(r => r.Policy)))
        {
            var measured = records.Where(r => r.Policy == policy).OrderBy(r => r.Time).ToArray();
            var xs = new List<double>();
            var ys = new List<double>();
            var best = double.PositiveInfinity;
            for (var i = 0; i < measured.Length; i++)
            {
                if (measured[i].Verified && measured[i].MeasuredMs is > 0 and var ms && ms < best)
                {
                    best = ms;
                }
                if (double.IsFinite(best))
                {
                    xs.Add(i + 1);
                    ys.Add(Math.Log10(best));
                }
            }
            if (xs.Count == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), ColorOf(policy));
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.MarkerSize = 6;
            line.LegendText = $"{policy}: best {NumberText.Ms(Math.Pow(10, ys[^1]))} ms after {NumberText.Count(measured.Length, "kernel")}";
        }
        LogAxis(plot.Axes.Left, records.Where(r => r.Verified && r.MeasuredMs is > 0).Select(r => r.MeasuredMs!.Value));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title(title);
        plot.XLabel("kernels measured");
        plot.YLabel("best verified time so far (ms, log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>
    /// The roofline of <paramref name="profile"/> (min of peak GFLOP/s and DRAM GB/s x intensity) with each operator's best kernel
    /// at its arithmetic intensity and achieved GFLOP/s.
    /// </summary>
    public static Plot Roofline(string title, HardwareProfile profile, IReadOnlyList<(string Name, Performance Performance)> all)
    {
        // An operator without arithmetic (a transpose, a copy) has no place on a log-scale roofline: its
        // zero would take the axes to minus infinity. It is left out, and the title says so.
        var points = all.Where(p => p.Performance.Intensity > 0 && p.Performance.Gflops > 0
            && double.IsFinite(p.Performance.Intensity) && double.IsFinite(p.Performance.Gflops)).ToArray();
        if (points.Length < all.Count)
        {
            title += $" ({all.Count - points.Length} without arithmetic not drawn)";
        }
        var plot = new Plot();
        var intensities = points.Select(p => p.Performance.Intensity).Append(profile.PeakGflops / profile.DramBandwidthGBs).ToArray();
        var low = Math.Floor(Math.Log10(intensities.Min() / 2));
        var high = Math.Ceiling(Math.Log10(intensities.Max() * 2));
        var ridge = Math.Log10(profile.PeakGflops / profile.DramBandwidthGBs);
        var roofX = new[] { low, ridge, high };
        var roofY = new[] { Math.Log10(profile.DramBandwidthGBs) + low, Math.Log10(profile.PeakGflops), Math.Log10(profile.PeakGflops) };
        var roof = plot.Add.Scatter(roofX, roofY, Colors.Black);
        roof.LineWidth = 2;
        roof.MarkerSize = 0;
        roof.LegendText = $"{profile.Name} roof: {NumberText.Significant(profile.DramBandwidthGBs)} GB/s, {NumberText.Significant(profile.PeakGflops)} GFLOP/s";
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < points.Length; i++)
        {
            var (name, performance) = points[i];
            var dot = plot.Add.ScatterPoints(new[] { Math.Log10(performance.Intensity) }, new[] { Math.Log10(performance.Gflops) }, palette.GetColor(i % 10));
            dot.MarkerSize = 11;
            dot.LegendText = $"{name}: {NumberText.Significant(performance.Gflops)} GFLOP/s, {NumberText.Significant(performance.PercentOfPeak)}% of its bound";
        }
        LogAxis(plot.Axes.Left, points.Select(p => p.Performance.Gflops).Append(profile.PeakGflops));
        LogAxis(plot.Axes.Bottom, [Math.Pow(10, low), Math.Pow(10, high)]);
        plot.Title(title);
        plot.XLabel("arithmetic intensity (flops per compulsory DRAM byte, log scale)");
        plot.YLabel("achieved GFLOP/s (log scale)");
        // Beside the plot, not on it: the points lie anywhere under the roof.
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// An axis whose values are log10 of the data, ticked at 1, 2 and 5 times powers of ten
    /// (also 3 and 7 when the data span less than a decade) and labelled with the data's values.
    /// </summary>
    private static void LogAxis(IAxis axis, IEnumerable<double> values)
    {
        var data = values.Where(v => v > 0 && double.IsFinite(v)).ToArray();
        if (data.Length == 0)
        {
            return;
        }
        var (min, max) = (data.Min() / 1.3, data.Max() * 1.3);
        double[] steps = max / min < 10 ? [1, 2, 3, 5, 7] : [1, 2, 5];
        var ticks = new List<double>();
        for (var k = (int)Math.Floor(Math.Log10(min)); k <= (int)Math.Ceiling(Math.Log10(max)); k++)
        {
            ticks.AddRange(steps.Select(step => step * Math.Pow(10, k)).Where(t => t >= min && t <= max));
        }
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(Math.Log10).ToArray(),
            ticks.Select(t => t.ToString(t >= 1 ? "0.##" : "G3", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }
}
