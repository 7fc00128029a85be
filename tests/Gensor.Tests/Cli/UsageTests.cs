using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary>What the binary says when it is given no command or a wrong one.</summary>
public sealed class UsageTests
{
    [Fact]
    public void Bare_gensor_lists_the_commands_and_exits_2()
    {
        var result = GensorProcess.Run();

        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n');
        Assert.Equal("error: no command given", lines[0]);
        Assert.Single(lines, line => line.StartsWith("error:"));
        foreach (var command in new[] { "tune", "explain", "devices", "profiles", "batch", "records", "emit", "report", "import", "tune-model" })
        {
            Assert.Contains(lines, line => line.StartsWith($"  {command} "));
        }
        Assert.DoesNotContain("measure-worker", result.Error);
    }

    [Theory]
    [InlineData("tuen", "tune")]
    [InlineData("emti", "emit")]
    [InlineData("devics", "devices")]
    [InlineData("recrods", "records")]
    [InlineData("bat", "batch")]
    public void A_mistyped_command_suggests_the_nearest(string typed, string meant)
    {
        var result = GensorProcess.Run(typed);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: unknown command '{typed}'; did you mean '{meant}'?", result.Error);
        Assert.Contains("commands:", result.Error);
    }

    [Fact]
    public void A_number_that_does_not_parse_is_named_by_what_may_be_written_not_by_its_dotnet_type()
    {
        var result = GensorCli.Run("tune", "--compute", "C[m] = A[m]", "--shape", "m=8", "--top-k", "2147483648");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'--top-k' as a whole number from -2147483648 to 2147483647", result.Error);
        Assert.DoesNotContain("System.", result.Error);
    }

    [Fact]
    public void A_command_unlike_any_gets_no_suggestion()
    {
        var result = GensorProcess.Run("xyzzy");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: unknown command 'xyzzy'\n", result.Error.Replace("\r", ""));
    }

    [Fact]
    public void A_mistyped_subcommand_of_records_suggests_within_records()
    {
        var result = GensorCli.Run("records", "bset", "x.jsonl");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: unknown command 'bset'; did you mean 'best'?", result.Error);
        Assert.Contains("usage: gensor records COMMAND", result.Error);
    }
}
