<?php

/**
 * comet-chat backend kit: what a PHP backend does with its app secret over the server's /api/v1,
 * and the signed user tokens the server accepts. PHP 8.1+, no extension beyond PHP's own (openssl
 * only for https servers); usable with a plain `require` or through Composer's autoloader.
 *
 * Every failure is a CometChatException carrying the HTTP status (0 when no answer came) and the
 * server's error code. The app secret never appears in a message of one.
 */

declare(strict_types=1);

namespace CometChat;

/** One app on one comet-chat server. */
final class Client
{
    /** Names of pipes and events, as the server accepts them. */
    private const PIPE = '/^[A-Za-z0-9_-]{3,64}$/';
    private const EVENT = '/^[A-Za-z0-9_-]{1,64}$/';
    private const DEV_ID = '/^[A-Za-z0-9_-]{1,64}$/';
    private const USER_KEY = '/^[0-9A-Za-z=+\/_]{1,32}$/';
    /** Display names: at most this many UTF-16 units (what the server counts). */
    public const NAME_MAX = 64;
    /** User ids travel as JSON numbers, so they must stay exact in a double. */
    private const USER_ID_MAX = 9007199254740991;
    /** Longest token lifetime the server's own token endpoint issues: one year. */
    private const TOKEN_TTL_MAX = 31536000;
    /** A whole history page of the largest messages fits; anything bigger is not our server. */
    private const RESPONSE_MAX_BYTES = 16 * 1024 * 1024;

    private readonly string $scheme;
    private readonly string $host;
    private readonly int $port;
    private readonly string $prefix;

    /**
     * @param string $server  the server's URL, e.g. `https://chat.example.com`
     * @param string $devId   the app (dev id)
     * @param string $secret  the app secret (kept in this object only)
     * @param float  $timeout seconds one call may take in all (connect, send, answer)
     */
    public function __construct(
        string $server,
        private readonly string $devId,
        #[\SensitiveParameter] private readonly string $secret,
        private readonly float $timeout = 5.0,
    ) {
        $url = parse_url($server);
        $scheme = strtolower((string) ($url['scheme'] ?? ''));
        if (
            !is_array($url) || !in_array($scheme, ['http', 'https'], true) || empty($url['host'])
            || isset($url['user']) || isset($url['pass']) || isset($url['query']) || isset($url['fragment'])
        ) {
            throw CometChatException::invalid('the server must be an http(s) URL without credentials, query, fragment');
        }
        if (preg_match(self::DEV_ID, $devId) !== 1) {
            throw CometChatException::invalid('the dev id is 1-64 characters of [A-Za-z0-9_-]');
        }
        if (preg_match('/^[\x21-\x7e]+$/', $secret) !== 1) {
            throw CometChatException::invalid('the app secret is empty or holds characters a header cannot carry');
        }
        if (!($timeout > 0)) {
            throw CometChatException::invalid('the timeout must be positive');
        }
        $this->scheme = $scheme;
        $this->host = $url['host'];
        $this->port = $url['port'] ?? ($scheme === 'https' ? 443 : 80);
        $this->prefix = rtrim($url['path'] ?? '', '/') . '/api/v1/apps/' . rawurlencode($devId);
    }

    /* ---- the app ---- */

    /** Asks whether the server answers and accepts the secret; returns the app id. Changes nothing. */
    public function check(): string
    {
        return (string) $this->request('GET', '')['app'];
    }

    /* ---- pipes ---- */

    /**
     * Publishes into a pipe (any but `msg`); subscribers see `server_info.user_id` 0.
     *
     * @return array{marker: int, number_messages: int}
     */
    public function publish(string $pipe, ?string $event, mixed $data): array
    {
        return $this->request('POST', '/pipes/' . self::pipe($pipe) . '/messages', self::message($event, $data));
    }

    /**
     * Stored messages of a pipe, oldest first.
     *
     * @param int|null $before only messages with a lower marker (paging back)
     * @param int|null $after  only messages with a higher marker (catching up)
     * @return list<array{data: mixed, server_info: array<string, mixed>}>
     */
    public function history(string $pipe, int $limit = 50, ?int $before = null, ?int $after = null): array
    {
        if ($limit < 1 || $limit > 200) {
            throw CometChatException::invalid('limit is 1-200');
        }
        $query = array_filter(['limit' => $limit, 'before' => $before, 'after' => $after], fn ($v) => $v !== null);
        $path = '/pipes/' . self::pipe($pipe) . '/messages?' . http_build_query($query);
        return $this->request('GET', $path)['messages'];
    }

    /** Removes a message from history and from every open chat; true when history held it. */
    public function deleteMessage(string $pipe, int $marker): bool
    {
        if ($marker < 1) {
            throw CometChatException::invalid('markers are positive');
        }
        return (bool) $this->request('DELETE', '/pipes/' . self::pipe($pipe) . '/messages/' . $marker)['stored'];
    }

    /**
     * Who is in a pipe: authorized users once each, every anonymous connection as user 0.
     *
     * @return array{count: int, users: list<array{user_id: int, user_name?: string}>}
     */
    public function presence(string $pipe): array
    {
        return $this->request('GET', '/pipes/' . self::pipe($pipe) . '/presence');
    }

    /* ---- users ---- */

    /**
     * A signed token that authorizes a browser as this user (`<comet-chat user-token>`), signed
     * here with the app secret (HS256 over the claims `user_id`, `name`, `exp`); no call is made.
     */
    public function userToken(int $userId, ?string $name = null, int $ttlSeconds = 3600): string
    {
        if ($ttlSeconds < 1 || $ttlSeconds > self::TOKEN_TTL_MAX) {
            throw CometChatException::invalid('the token lifetime is 1 second to 1 year');
        }
        $claims = ['user_id' => self::userId($userId)];
        if ($name !== null) {
            $claims['name'] = self::name($name);
        }
        $claims['exp'] = time() + $ttlSeconds;
        $body = self::base64url('{"alg":"HS256","typ":"JWT"}') . '.' . self::base64url(self::json($claims));
        return $body . '.' . self::base64url(hash_hmac('sha256', $body, $this->secret, true));
    }

    /** Registers (or replaces) the key a browser presents with `user-id` + `user-key`. */
    public function setUserKey(int $userId, #[\SensitiveParameter] string $key, ?string $name = null): void
    {
        if (preg_match(self::USER_KEY, $key) !== 1) {
            throw CometChatException::invalid('user keys are 1-32 characters of [0-9A-Za-z=+/_]');
        }
        $body = ['key' => $key];
        if ($name !== null) {
            $body['name'] = self::name($name);
        }
        $this->request('PUT', '/users/' . self::userId($userId) . '/key', $body);
    }

    /** Removes the user's key; their open connections are closed. */
    public function removeUserKey(int $userId): void
    {
        $this->request('DELETE', '/users/' . self::userId($userId) . '/key');
    }

    /**
     * A personal message to every connection of the user (`server_info.pipe` "msg"), queued while
     * they are offline.
     *
     * @return array{delivered: int, queued: bool}
     */
    public function sendToUser(int $userId, ?string $event, mixed $data): array
    {
        return $this->request('POST', '/users/' . self::userId($userId) . '/messages', self::message($event, $data));
    }

    /* ---- moderation ---- */

    /** Bans a user app-wide, or in one pipe; for `seconds`, or until lifted. */
    public function ban(int $userId, ?string $pipe = null, ?int $seconds = null): void
    {
        if ($seconds !== null && ($seconds < 1 || $seconds > self::TOKEN_TTL_MAX)) {
            throw CometChatException::invalid('a ban lasts 1 second to 1 year');
        }
        $spec = self::banSpec($userId, $pipe) + ($seconds === null ? [] : ['seconds' => $seconds]);
        $this->request('POST', '/bans', $spec);
    }

    /** Lifts a ban; name the same pipe as the ban did. */
    public function unban(int $userId, ?string $pipe = null): void
    {
        $this->request('POST', '/bans/lift', self::banSpec($userId, $pipe));
    }

    /* ---- any other call ---- */

    /**
     * One call of the API, for what has no method here (pipe settings, webhook, token revocation).
     *
     * @param string                    $path after `/api/v1/apps/<dev id>`, e.g. `/webhook`
     * @param array<string, mixed>|null $body sent as JSON
     * @return array<string, mixed> the decoded answer
     */
    public function request(string $method, string $path, ?array $body = null): array
    {
        $json = $body === null ? null : self::json($body);
        [$status, $text] = $this->exchange(strtoupper($method), $this->prefix . $path, $json);
        $answer = json_decode($text, true);
        if ($status === 200 && is_array($answer)) {
            return $answer;
        }
        if (is_array($answer) && isset($answer['error']) && is_string($answer['error'])) {
            $detail = is_string($answer['message'] ?? null) ? $answer['message'] : $answer['error'];
            $error = $answer['error'];
            throw new CometChatException("comet-chat: {$status} {$error}: {$detail}", $status, $error);
        }
        $why = "comet-chat: {$status}: the answer is not the server's JSON";
        throw new CometChatException($why, $status, 'bad_response');
    }

    /**
     * A display name as the server takes it: control characters dropped, spaces trimmed, cut to
     * NAME_MAX UTF-16 units; "" when nothing is left.
     */
    public static function fitName(string $name): string
    {
        // Controls, line breaks and the bidi embeddings, overrides, isolates and marks that could turn
        // the text after a name around (ZWJ and ZWNJ stay: scripts and emoji need them).
        $unsafe = '/[\p{Cc}\p{Zl}\p{Zp}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{FEFF}]+/u';
        $clean = preg_replace($unsafe, '', $name);
        if (!is_string($clean)) {
            return ''; // not UTF-8
        }
        $fitted = '';
        $units = 0;
        foreach (preg_split('//u', trim($clean), -1, PREG_SPLIT_NO_EMPTY) as $char) {
            $units += strlen($char) === 4 ? 2 : 1;
            if ($units > self::NAME_MAX) {
                break;
            }
            $fitted .= $char;
        }
        return trim($fitted);
    }

    /* ---- the wire ---- */

    /**
     * Sends one HTTP/1.0 request and reads the whole answer, all within the timeout.
     * HTTP/1.0 keeps the answer unchunked and the connection single-use.
     *
     * @return array{0: int, 1: string} status and body
     */
    private function exchange(string $method, string $target, ?string $json): array
    {
        $deadline = microtime(true) + $this->timeout;
        $origin = "{$this->scheme}://{$this->host}:{$this->port}";
        $context = stream_context_create(
            ['ssl' => ['peer_name' => trim($this->host, '[]'), 'verify_peer' => true, 'verify_peer_name' => true]],
        );
        $errno = 0;
        $errstr = '';
        $socket = @stream_socket_client(
            ($this->scheme === 'https' ? 'tls://' : 'tcp://') . "{$this->host}:{$this->port}",
            $errno,
            $errstr,
            $this->timeout,
            STREAM_CLIENT_CONNECT,
            $context,
        );
        if ($socket === false) {
            $timedOut = microtime(true) >= $deadline;
            throw new CometChatException(
                "comet-chat: no answer from {$origin}: "
                    . ($timedOut ? 'timed out' : ($errstr !== '' ? $errstr : "error {$errno}")),
                0,
                $timedOut ? 'timeout' : 'unreachable',
            );
        }
        try {
            $defaultPort = $this->port === ($this->scheme === 'https' ? 443 : 80);
            $request = "{$method} {$target} HTTP/1.0\r\n"
                . 'Host: ' . $this->host . ($defaultPort ? '' : ":{$this->port}") . "\r\n"
                . "Authorization: Bearer {$this->secret}\r\n"
                . "Accept: application/json\r\n"
                . "User-Agent: comet-chat-php\r\n";
            if ($json !== null) {
                $request .= "Content-Type: application/json\r\nContent-Length: " . strlen($json) . "\r\n";
            }
            $request .= "\r\n" . ($json ?? '');
            while ($request !== '') {
                $this->arm($socket, $deadline, $origin);
                $written = @fwrite($socket, $request);
                if ($written === false || $written === 0) {
                    $this->failIfLate($socket, $deadline, $origin);
                    throw new CometChatException("comet-chat: {$origin} closed the connection", 0, 'unreachable');
                }
                $request = substr($request, $written);
            }
            $response = '';
            while (!feof($socket)) {
                $this->arm($socket, $deadline, $origin);
                $chunk = @fread($socket, 65536);
                $this->failIfLate($socket, $deadline, $origin);
                if ($chunk === false) {
                    break;
                }
                $response .= $chunk;
                if (strlen($response) > self::RESPONSE_MAX_BYTES) {
                    $why = "comet-chat: the answer from {$origin} is too large";
                    throw new CometChatException($why, 0, 'bad_response');
                }
            }
        } finally {
            fclose($socket);
        }
        $split = strpos($response, "\r\n\r\n");
        if ($split === false || preg_match('#^HTTP/1\.[01] (\d{3})#', $response, $m) !== 1) {
            throw new CometChatException("comet-chat: {$origin} did not answer HTTP", 0, 'bad_response');
        }
        return [(int) $m[1], substr($response, $split + 4)];
    }

    /**
     * Lets the next read or write wait only for what is left of the call's time.
     *
     * @param resource $socket
     */
    private function arm($socket, float $deadline, string $origin): void
    {
        $left = $deadline - microtime(true);
        if ($left <= 0) {
            throw $this->timedOut($origin);
        }
        stream_set_timeout($socket, (int) $left, (int) (($left - (int) $left) * 1e6));
    }

    /** @param resource $socket */
    private function failIfLate($socket, float $deadline, string $origin): void
    {
        if (stream_get_meta_data($socket)['timed_out'] || microtime(true) >= $deadline) {
            throw $this->timedOut($origin);
        }
    }

    private function timedOut(string $origin): CometChatException
    {
        return new CometChatException("comet-chat: {$origin} did not answer within {$this->timeout} s", 0, 'timeout');
    }

    /* ---- arguments ---- */

    private static function pipe(string $pipe): string
    {
        if (preg_match(self::PIPE, $pipe) !== 1) {
            throw CometChatException::invalid('pipe names are 3-64 characters of [A-Za-z0-9_-]');
        }
        return $pipe;
    }

    private static function userId(int $userId): int
    {
        if ($userId < 1 || $userId > self::USER_ID_MAX) {
            throw CometChatException::invalid('user ids are positive integers below 2^53');
        }
        return $userId;
    }

    private static function name(string $name): string
    {
        if ($name === '' || self::fitName($name) !== $name) {
            throw CometChatException::invalid('names are 1-64 characters, no controls or outer spaces (see fitName)');
        }
        return $name;
    }

    /** @return array<string, mixed> */
    private static function message(?string $event, mixed $data): array
    {
        if ($event !== null && preg_match(self::EVENT, $event) !== 1) {
            throw CometChatException::invalid('event names are 1-64 characters of [A-Za-z0-9_-]');
        }
        return ($event === null ? [] : ['event' => $event]) + ['data' => $data];
    }

    /** @return array<string, mixed> */
    private static function banSpec(int $userId, ?string $pipe): array
    {
        return ['user_id' => self::userId($userId)] + ($pipe === null ? [] : ['pipe' => self::pipe($pipe)]);
    }

    private static function json(mixed $value): string
    {
        try {
            return json_encode(
                $value,
                JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION,
            );
        } catch (\JsonException $e) {
            $why = 'comet-chat: the data cannot be sent as JSON: ' . $e->getMessage();
            throw new CometChatException($why, 0, 'invalid', $e);
        }
    }

    private static function base64url(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }
}

/** Any failure of a call: the HTTP status (0 when no answer came) and the server's error code. */
class CometChatException extends \RuntimeException
{
    /**
     * @param int    $status the HTTP status, or 0: unreachable, timed out, or refused before sending
     * @param string $error  the server's error code (`unauthorized`, `invalid`, `banned`, …), or
     *                       `unreachable`, `timeout`, `bad_response`, `invalid` from the kit itself
     */
    public function __construct(
        string $message,
        public readonly int $status,
        public readonly string $error,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $status, $previous);
    }

    /** A bad argument, refused before anything was sent. */
    public static function invalid(string $why): self
    {
        return new self('comet-chat: ' . $why, 0, 'invalid');
    }
}
