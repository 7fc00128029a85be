using System.CommandLine;
using Gensor.Cli.Commands;

namespace Gensor.Cli;

/// <summary>The <c>gensor</c> command line.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (StandardOutputClosed())
        {
            // Results would fail at their first line, after the work and its files: say so before any.
            Console.Error.WriteLine("error: standard output is closed (>&-) or read-only, so no result could be printed; redirect it to a file or /dev/null instead");
            return 2;
        }
        JitProfile.Start(args);
        return Run(args, new StandardOutputWriter(Console.Out), Console.Error);
    }

    /// <summary>
    /// Whether file descriptor 1 cannot be written: closed, or opened for reading only. A closed fd 1 is
    /// soon reused by the runtime for a file or pipe of its own (seen: a pipe's read end), so the check is
    /// on the access mode /proc reports for it. Linux only; elsewhere false.
    /// </summary>
    private static bool StandardOutputClosed()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/fdinfo"))
        {
            return false;
        }
        try
        {
            var flags = File.ReadLines("/proc/self/fdinfo/1").FirstOrDefault(line => line.StartsWith("flags:", StringComparison.Ordinal));
            // Octal open flags; the low two bits are the access mode, 0 for read-only (O_RDONLY).
            return flags is not null && (Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 3) == 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            // No entry: fd 1 is closed.
            return exception is FileNotFoundException or DirectoryNotFoundException;
        }
    }

    /// <summary>Runs the command line with the given writers (tests pass string writers).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        CliContext Context(bool verbose) => new(output, error, verbose);
        var root = new RootCommand("gensor: a graph-based construction tensor compiler and autotuner on ILGPU.");
        root.Subcommands.Add(TuneCommand.Create(Context));
        root.Subcommands.Add(ExplainCommand.Create(Context));
        root.Subcommands.Add(DevicesCommand.Create(Context));
        root.Subcommands.Add(ProfilesCommand.Create(Context));
        root.Subcommands.Add(BatchCommand.Create(Context));
        root.Subcommands.Add(RecordsCommand.Create(Context));
        root.Subcommands.Add(CalibrateCommand.Create(Context));
        root.Subcommands.Add(EmitCommand.Create(Context));
        root.Subcommands.Add(ReportCommand.Create(Context));
        root.Subcommands.Add(ImportCommand.Create(Context));
        root.Subcommands.Add(TuneModelCommand.Create(Context));
        // The worker side of --isolate: not for users, so not in the help.
        var worker = new Command("measure-worker", "Measure candidates for a parent gensor process (JSON lines on stdin/stdout).") { Hidden = true };
        worker.SetAction(_ => Context(false).Guard(() => Gensor.Tuning.Isolation.MeasureWorker.Run(Console.In, output)));
        root.Subcommands.Add(worker);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            if (command.Subcommands.Count > 0 && command.Action is null)
            {
                // A command that only groups others (gensor, gensor records): say which exist, and the nearest to a typo.
                var token = parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-'));
                error.WriteLine(token is null ? "error: no command given" : $"error: unknown command '{token}'{Usage.Suggestion(command, token)}");
                Usage.Write(error, command);
                return 2;
            }
            // One line, like every other user error, and the bad-input exit code.
            error.WriteLine($"error: {ReadableTypes(parse.Errors[0].Message)}");
            return 2;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>
    /// System.CommandLine names the .NET type a value failed to parse as ("as expected type
    /// 'System.Nullable`1[System.Int32]'"): say what the user may write instead.
    /// </summary>
    internal static string ReadableTypes(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"as expected type '(?:System\.Nullable`1\[)?System\.(\w+)\]?'", match => match.Groups[1].Value switch
        {
            "Int32" => $"as a whole number from {int.MinValue} to {int.MaxValue}",
            "Int64" => $"as a whole number from {long.MinValue} to {long.MaxValue}",
            "Double" => "as a number",
            "Boolean" => "as true or false",
            _ => match.Value,
        });
}
