using System.Text;
using FastGate.Proxy.Config;
using FastGate.Proxy.Forwarding;
using FastGate.Proxy.Stages.Transforms;

namespace FastGate.Proxy.Tests.Stages.Transforms;

public class ValueTemplateTests
{
    private static string Render(string text, Exchange exchange, string route = "api")
    {
        Assert.True(ValueTemplate.TryParse(text, route, out var template, out var error), error);
        var buffer = new byte[template.Measure(exchange)];
        Assert.Equal(buffer.Length, template.Render(exchange, buffer));
        return Encoding.UTF8.GetString(buffer);
    }

    [Fact]
    public void Render_EveryVariable_ReadsTheExchange()
    {
        var exchange = TestExchange.Create("POST /v1/items?limit=5 HTTP/1.1\r\nHost: shop.example:8443\r\n\r\n", "10.1.2.3");
        exchange.Consumer = new ConsumerModel("alice");
        exchange.SetRequestId("abc123"u8);

        var text = Render("${client_ip}|${consumer}|${route}|${request_id}|${host}|${path}|${query}|${method}", exchange, route: "orders");

        Assert.Equal("10.1.2.3|alice|orders|abc123|shop.example:8443|/v1/items|?limit=5|POST", text);
    }

    [Fact]
    public void Render_AnonymousWithoutQuery_VariablesAreEmpty()
    {
        var exchange = TestExchange.Get("/x");

        Assert.Equal("c=;q=;id=", Render("c=${consumer};q=${query};id=${request_id}", exchange));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("cost $5", "cost $5")]
    [InlineData("$${host}", "${host}")]
    [InlineData("a$", "a$")]
    [InlineData("", "")]
    public void Render_DollarsThatAreNotVariables_AreLiteral(string text, string expected)
    {
        Assert.Equal(expected, Render(text, TestExchange.Get("/")));
    }

    [Fact]
    public void TryParse_RouteOnly_IsALiteral()
    {
        Assert.True(ValueTemplate.TryParse("via ${route}", "edge", out var template, out _));

        Assert.True(template.IsLiteral);
        Assert.Equal("via edge", Encoding.ASCII.GetString(template.Literal));
    }

    [Theory]
    [InlineData("${clinet_ip}", "unknown variable '${clinet_ip}' in '${clinet_ip}'; did you mean '${client_ip}'?")]
    [InlineData("${nope_at_all_here}", "unknown variable '${nope_at_all_here}' in '${nope_at_all_here}'; known: client_ip, consumer, route, request_id, host, path, query, method")]
    [InlineData("x ${host", "unclosed '${' in 'x ${host'")]
    [InlineData("a\nb", "'a\nb' holds a control character")]
    public void TryParse_Invalid_SaysWhy(string text, string expected)
    {
        Assert.False(ValueTemplate.TryParse(text, "r", out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Apply_ValueLongerThanTheStackBuffer_IsWrittenWhole()
    {
        var path = "/" + new string('p', 3000);
        var exchange = TestExchange.Get(path);
        Assert.True(ValueTemplate.TryParse("<${path}>", "r", out var template, out _));

        Assert.True(template.Apply(exchange, exchange.UpstreamRequestHeaders, HeaderEditKind.Set, "x-path"u8));

        Assert.Equal($"<{path}>", TestExchange.Value(exchange.UpstreamRequestHeaders, "x-path"));
    }

    [Fact]
    public void Apply_VariableWithAControlCharacter_IsRefused()
    {
        var exchange = TestExchange.Get("/");
        exchange.Consumer = new ConsumerModel("evil\r\nx-admin: 1");
        Assert.True(ValueTemplate.TryParse("${consumer}", "r", out var template, out _));

        Assert.False(template.Apply(exchange, exchange.UpstreamRequestHeaders, HeaderEditKind.Set, "x-consumer"u8));
        Assert.Equal(0, exchange.UpstreamRequestHeaders.Count);
    }
}
