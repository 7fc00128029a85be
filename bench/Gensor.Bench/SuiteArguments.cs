using System.Globalization;
using Gensor.Backend.Inspection;
using Gensor.Diagnostics;
using Gensor.Hardware;

namespace Gensor.Bench;

/// <summary>
/// The arguments of a bench command over suites: <c>--name value</c> options among those the
/// command names, and suite names or files (the default suites when none is given).
/// </summary>
internal sealed class SuiteArguments
{
    private readonly Dictionary<string, string> _options;

    private SuiteArguments(IReadOnlyList<string> suites, Dictionary<string, string> options) => (Suites, _options) = (suites, options);

    public IReadOnlyList<string> Suites { get; }

    /// <summary>Reads <paramref name="args"/>; an option not in <paramref name="options"/>, or one without its value, is bad input.</summary>
    public static SuiteArguments Parse(string[] args, params string[] options)
    {
        var suites = new List<string>();
        var parsed = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                suites.Add(args[i]);
                continue;
            }
            if (!options.Contains(args[i]))
            {
                throw GensorException.BadInput($"unknown option '{args[i]}'");
            }
            if (i + 1 == args.Length)
            {
                throw GensorException.BadInput($"option '{args[i]}' needs a value");
            }
            parsed[args[i]] = args[++i];
        }
        return new SuiteArguments(suites.Count == 0 ? SuiteFiles.Defaults : suites, parsed);
    }

    public string Text(string option, string fallback) => _options.GetValueOrDefault(option, fallback);

    /// <summary>NVIDIA's offline tools, or null after printing what is missing (the tables that read ptxas's output exit with 1).</summary>
    public static NvidiaTools? NvidiaToolsOrReport()
    {
        if (NvidiaTools.TryFind(out var tools, out var missing))
        {
            return tools;
        }
        Console.Error.WriteLine($"error: {missing}");
        return null;
    }

    /// <summary>The profile named <paramref name="name"/>, which must be an NVIDIA GPU's: the tables that read ptxas's output need one.</summary>
    public static HardwareProfile NvidiaProfile(string name)
    {
        var profile = ProfileCatalog.Get(name);
        return KernelInspector.IsCuda(profile)
            ? profile
            : throw GensorException.BadInput($"--profile {profile.Name} ({profile.Architecture}) is not an NVIDIA GPU profile");
    }

    /// <summary>A whole number of at least 1.</summary>
    public int Count(string option, int fallback) => _options.TryGetValue(option, out var text)
        ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : throw GensorException.BadInput($"option '{option}' needs a whole number of at least 1, not '{text}'")
        : fallback;

    /// <summary>Runs <paramref name="command"/>, printing bad input as one line and returning its exit code.</summary>
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (GensorException error)
        {
            Console.Error.WriteLine(error.Error);
            return error.Error.ExitCode;
        }
    }
}
