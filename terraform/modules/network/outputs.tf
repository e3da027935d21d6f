output "vpc_id" {
  description = "VPC ID."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per AZ."
  value       = aws_subnet.private[*].id
}

output "node_subnet_ids" {
  description = "Where worker nodes go: private subnets when they have NAT egress, else public."
  value       = var.nat_gateway_mode == "none" ? aws_subnet.public[*].id : aws_subnet.private[*].id
}

output "nat_gateway_count" {
  description = "NAT gateways created (each costs ~32 USD/month plus traffic)."
  value       = local.nat_count
}
