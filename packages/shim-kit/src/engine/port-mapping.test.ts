import { describe, expect, it } from 'vitest';
import { formatPortMapping, parsePortMapping } from './port-mapping.js';

describe('parsePortMapping', () => {
  it('reads podman -p forms', () => {
    expect(parsePortMapping('8080:80')).toEqual({ protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '' });
    expect(parsePortMapping('80')).toEqual({ protocol: 'tcp', containerPort: 80, hostPort: 80, hostIp: '' });
    expect(parsePortMapping('127.0.0.1:8080:80/udp')).toEqual({ protocol: 'udp', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' });
    expect(parsePortMapping('127.0.0.1::80')).toEqual({ protocol: 'tcp', containerPort: 80, hostPort: 80, hostIp: '127.0.0.1' });
    expect(formatPortMapping(parsePortMapping('8080:80'))).toBe('0.0.0.0:8080->80/tcp');
  });

  it('names the part that is wrong', () => {
    expect(() => parsePortMapping('0:80')).toThrow('invalid port mapping "0:80": host port "0" is not a port number (1-65535)');
    expect(() => parsePortMapping('8080:65536')).toThrow('container port "65536"');
    expect(() => parsePortMapping('8080:80/icmp')).toThrow('protocol "icmp" is not tcp, udp or sctp');
    expect(() => parsePortMapping('1.2.3:8080:80')).toThrow('host IP "1.2.3" is not an IPv4 address');
    expect(() => parsePortMapping('a:b:c:d')).toThrow('expected [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]');
    expect(() => parsePortMapping('')).toThrow('container port ""');
  });
});
