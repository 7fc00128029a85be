using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gensor.Backend.Launch;
using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Tuning;
using Gensor.Tuning.Records;
using Gensor.Tuning.Reports;
using Gensor.Tuning.Resources;

namespace Gensor.Cli.Commands;

/// <summary><c>gensor tune SPEC</c>: construct, compile, verify and measure; print the best kernel.</summary>
internal static class TuneCommand
{
    public static Command Create(Func<bool, CliContext> context)
    {
        var spec = new SpecInput();
        var tuning = new TuningOptions();
        var schedule = CommonOptions.Schedule("Run only this schedule");
        var output = new Option<string?>("--out") { Description = "Directory to write kernel.cs (the measured kernel with its launcher) and report.json of the chosen kernel to; an earlier emit's kernel files and launch.json are removed from it." };
        var @namespace = CommonOptions.Namespace();
        var format = CommonOptions.Format();
        var verbose = CommonOptions.Verbose();
        var command = new Command("tune", "Construct schedules for one operator, then compile, verify and time the best on an accelerator.");
        spec.AddTo(command);
        tuning.AddTo(command);
        foreach (var option in new Option[] { schedule, output, @namespace, format, verbose })
        {
            command.Options.Add(option);
        }
        command.SetAction(parse =>
        {
            var cli = context(parse.GetValue(verbose));
            return cli.Guard(() =>
            {
                // Every input is checked before any work, so bad input writes nothing.
                var json = CommonOptions.ParseFormatIsJson(parse.GetValue(format)!);
                var settings = tuning.Read(parse);
                var fixedSchedule = CommonOptions.ParseSchedule(parse.GetValue(schedule));
                var outDir = parse.GetValue(output);
                if (outDir is not null)
                {
                    AtomicFile.CheckDirectory(outDir, KernelFolder.Tune, "--out");
                    KernelFolder.CheckLinks(outDir, "--out");
                }
                var op = spec.Read(parse, cli);
                MemoryEstimate.Check(op, settings.MemoryLimitBytes);
                var launcher = LauncherName.For(op.Name, parse.GetValue(@namespace)!);
                using var session = settings.Open(cli);
                var request = new TuneRequest(op, settings.Policy, session.Target, session.DeviceProfile, session.TopK, settings.Seed, fixedSchedule,
                    Compiler: session.Compiler, AllowTf32: settings.AllowTf32);
                var report = RecordLog.Tune(session.Tuner, request, session.Records, settings.Force);
                report = ResourceReader.Attach(report, session.Target, session.Device, session.Logger);
                var (written, removed) = report.BestSource is not null && outDir is not null ? WriteOutputs(outDir, report, launcher) : ([], []);
                if (json)
                {
                    var printed = TuneReportJson.ToJson(report);
                    if (outDir is not null)
                    {
                        // What the text form's wrote: and removed: lines say, for scripts; report.json itself has no such field.
                        printed["files"] = new JsonObject
                        {
                            ["written"] = new JsonArray([.. written.Select(path => JsonValue.Create(path))]),
                            ["removed"] = new JsonArray([.. removed.Select(path => JsonValue.Create(path))]),
                        };
                    }
                    cli.Output.WriteLine(TuneReportJson.ToText(printed));
                }
                else
                {
                    TuneText.Write(cli.Output, report, written, removed);
                }
                if (report.Best is null)
                {
                    cli.Error.WriteLine($"error: no candidate of {op.Name} compiled and verified ({TuneReport.Tried(report.Candidates)})");
                    return (int)ErrorKind.NoResult;
                }
                return 0;
            });
        });
        return command;
    }

    /// <summary>
    /// Writes kernel.cs and report.json, both or neither, each through a temporary file so a crash leaves no
    /// half-written file; an earlier emit's kernel and launch.json there go with them (KernelFolder).
    /// </summary>
    private static (IReadOnlyList<string> Written, IReadOnlyList<string> Removed) WriteOutputs(string directory, TuneReport report, LauncherName launcher)
    {
        var kernel = Path.Combine(directory, KernelFolder.Tune[0]);
        var json = Path.Combine(directory, KernelFolder.Tune[1]);
        var removed = AtomicFile.WriteAllInFolder(directory, [(kernel, LauncherWriter.KernelFile(report.BestSource!, launcher)), (json, TuneReportJson.ToText(report) + "\n")],
            KernelFolder.Superseded(directory, KernelFolder.Tune));
        return ([kernel, json], removed);
    }
}

/// <summary>The human-readable form of a tuning report.</summary>
internal static class TuneText
{
    private static string Terms(Operator op) => op.Reduction switch
    {
        Reduction.Sum => $"{op.ReductionLength}-term sums",
        Reduction.Max => $"{op.ReductionLength}-term maxima (exact)",
        _ => "no reduction",
    };

    public static void Write(TextWriter w, TuneReport report, IReadOnlyList<string> written, IReadOnlyList<string> removed)
    {
        var op = report.Operator;
        w.WriteLine($"operator:  {op.Name}  {OperatorText.Describe(op)}");
        if (!op.AllFloat32)
        {
            w.WriteLine($"types:     {string.Join(", ", new[] { op.Output }.Concat(op.Inputs).Select(t => $"{t.Name} {t.Type.Name()}"))}; accumulated in {op.AccumulatorType.Name()}");
        }
        w.WriteLine($"device:    {report.Device}");
        if (report.Simulated)
        {
            w.WriteLine("           (simulated: ILGPU's CPU accelerator runs GPU threads on the CPU; its times say nothing about a GPU)");
        }
        w.WriteLine($"policy:    {report.Policy} for target {report.Target}, {NumberText.Count(report.StatesVisited, "state")} visited");
        var verified = report.Candidates.Count(c => c.Verified);
        var reused = report.Candidates.Count(c => c.FromRecords);
        w.WriteLine($"measured:  {NumberText.Count(report.Candidates.Count, "candidate")}, {verified} verified{(reused > 0 ? $", {reused} from records" : "")}");
        w.WriteLine($"  {"#",2}  {"estimated ms",12}  {"measured ms",12}  {"ok",3}  schedule");
        for (var i = 0; i < report.Candidates.Count; i++)
        {
            var c = report.Candidates[i];
            var estimate = c.EstimatedMs is { } e ? NumberText.Estimate(e) : "-";
            var measured = c.MeasuredMs is { } m ? NumberText.Ms(m) : "-";
            w.WriteLine($"  {i + 1,2}  {estimate,12}  {measured,12}  {(c.Verified ? "yes" : "no"),3}  {c.Schedule}{(c.FromRecords ? "  (from records)" : "")}{(c.Measurement.Error is { } error ? "  (" + error + ")" : "")}");
        }
        if (report.Best is { } best)
        {
            var m = best.Measurement;
            w.WriteLine($"best:      {best.Schedule}");
            w.WriteLine($"time:      {NumberText.Ms(m.MedianMs!.Value)} ms (median of {m.Repetitions}, spread {NumberText.Ms(m.MinMs!.Value)}..{NumberText.Ms(m.MaxMs!.Value)} ms){(report.Simulated ? ", simulated" : "")}");
            if (report.BestPerformance is { } performance)
            {
                w.WriteLine($"speed:     {performance}{(report.Simulated ? ", simulated" : "")}");
            }
            w.WriteLine($"verified:  yes, max abs error {m.MaxAbsError:G3} against the CPU reference (double precision)");
            if (double.IsFinite(m.Tolerance))
            {
                // The tolerance is a forward error bound of the float32 arithmetic, not a fixed slack (Verifier).
                var stored = op.Output.Type == ElementType.F32 ? "" : $", then the {op.Output.Type.Name()} rounding of the output";
                w.WriteLine($"           within the float32 error bound, at most {m.Tolerance:G3} for an element: the rounding of every operation and of {Terms(op)}{stored}");
            }
            if (m.CheckedElements is { } compared && compared < op.Output.ElementCount)
            {
                // A pass says nothing of the others: where the reference is NaN or infinite, or rounding could overflow or meet a singularity.
                w.WriteLine($"           {compared} of {op.Output.ElementCount} output elements compared; the others are NaN or infinite in the reference, or near an overflow or a singularity");
            }
            var tf32 = best.Schedule.Mma == MmaShape.M16N8K8Tf32;
            if (tf32)
            {
                w.WriteLine("tf32:      yes: float32 inputs rounded to TF32 (10 significand bits) on tensor cores");
            }
            if (!op.AllFloat32 || tf32)
            {
                w.WriteLine($"tolerance: {Reference.Tolerance.Of(op, tf32)}");
            }
            if (report.Resources?.Resources is { } resources)
            {
                w.WriteLine($"resources: {ResourcesText.Describe(resources)}");
            }
        }
        else
        {
            w.WriteLine("best:      none (no candidate compiled and verified)");
        }
        if (report.CompilerCheck is { } check)
        {
            w.WriteLine($"compiler:  {CompilerCheckJson.Describe(check)}");
        }
        var t = report.Timings;
        w.WriteLine($"timings:   construct {t.ConstructMs:F1} ms, {(report.CompilerCheck is { } checkTime ? $"compiler check {checkTime.Milliseconds:F0} ms, " : "")}compile {t.CompileMs:F0} ms, measure {t.MeasureMs:F0} ms");
        if (written.Count > 0)
        {
            w.WriteLine($"wrote:     {string.Join(", ", written.Select(Printable.Text))}");
        }
        if (removed.Count > 0)
        {
            w.WriteLine($"removed:   {string.Join(", ", removed.Select(Printable.Text))}");
        }
    }
}
