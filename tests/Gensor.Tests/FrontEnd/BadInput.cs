using Gensor.Diagnostics;
using Xunit;

namespace Gensor.Tests.FrontEnd;

/// <summary>Asserts that an action is rejected as bad input and hands back the message to check.</summary>
internal static class BadInput
{
    public static string Thrown(Action action)
    {
        var exception = Assert.Throws<GensorException>(action);
        Assert.Equal(ErrorKind.BadInput, exception.Error.Kind);
        Assert.DoesNotContain('\n', exception.Message);
        return exception.Message;
    }
}
