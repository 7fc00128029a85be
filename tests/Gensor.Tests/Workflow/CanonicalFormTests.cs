using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Workflow;

/// <summary>The canonical form: operators that differ only in names are the same operator.</summary>
public sealed class CanonicalFormTests
{
    [Fact]
    public void Operators_that_differ_only_in_names_share_text_and_hash()
    {
        var a = CanonicalForm.Of(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=8"));
        var b = CanonicalForm.Of(Operators.Parse("Out[i,j] += X[i,r] * W[r,j]", "i=32,j=16,r=8"));

        Assert.Equal(a.Text, b.Text);
        Assert.Equal(a.Hash, b.Hash);
    }

    [Fact]
    public void Different_extents_give_different_hashes()
    {
        var a = CanonicalForm.Of(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=8"));
        var b = CanonicalForm.Of(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=16"));

        Assert.NotEqual(a.Hash, b.Hash);
    }

    [Fact]
    public void An_epilogue_is_part_of_the_form()
    {
        var plain = CanonicalForm.Of(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=8"));
        var relu = CanonicalForm.Of(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=8", "relu(C[m,n])"));

        Assert.NotEqual(plain.Hash, relu.Hash);
    }

    [Fact]
    public void Hash_is_16_hex_digits_of_sha256_of_the_text()
    {
        var form = CanonicalForm.Of(Operators.Parse("y[i] += A[i,j] * x[j]", "i=8,j=4"));

        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(form.Text)))[..16];
        Assert.Equal(expected, form.Hash);
        Assert.Contains("T0[s0] += (T1[s0,r0] * T2[r0])", form.Text);
    }

    [Fact]
    public void A_schedule_stored_canonically_maps_back_to_another_operators_names()
    {
        var first = CanonicalForm.Of(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=32,n=16,k=8"));
        var second = CanonicalForm.Of(Operators.Parse("Out[i,j] += X[i,r] * W[r,j]", "i=32,j=16,r=8"));
        var schedule = Schedule.Parse("block=16x16 thread=2x2 reduce=8 shared=A,B");

        var stored = first.ToCanonical(schedule);

        Assert.Equal("T1,T2", string.Join(",", stored.SharedInputs));
        Assert.Equal(Schedule.Parse("block=16x16 thread=2x2 reduce=8 shared=X,W"), second.FromCanonical(stored));
    }
}
